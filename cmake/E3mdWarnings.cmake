# e3md_target_defaults(<target>): warnings, sanitizers and the source-root include path.
function(e3md_target_defaults target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${E3MD_WERROR}>>:-Werror>
    $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${E3MD_WERROR}>>:-Werror=all-warnings>)
  if(E3MD_SANITIZE)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>
      # -O1 (after the build type's -O0): the sanitizers' usual level, several times faster than -O0.
      $<$<COMPILE_LANGUAGE:CXX>:-O1>)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# Layer libraries find headers from the repository root (#include "engine/box.hpp").
# e3md_add_layer(<name> SOURCES ... DEPS ...): a layer library; header-only while it has no sources.
function(e3md_add_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS" ${ARGN})
  if(L_SOURCES)
    add_library(${name} ${L_SOURCES})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC ${L_DEPS})
    e3md_target_defaults(${name})
    if(E3MD_SANITIZE)
      target_link_options(${name} PUBLIC -fsanitize=address,undefined)
    endif()
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${L_DEPS})
  endif()
endfunction()
