# Warning flags and sanitizers for the project's own targets.
add_library(gdlearn_warnings INTERFACE)
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(gdlearn_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wstrict-prototypes
    -Wmissing-prototypes)
  if(GDLEARN_WERROR)
    target_compile_options(gdlearn_warnings INTERFACE -Werror)
  endif()
  if(GDLEARN_SANITIZE)
    target_compile_options(gdlearn_warnings INTERFACE
      -fsanitize=${GDLEARN_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(gdlearn_warnings INTERFACE -fsanitize=${GDLEARN_SANITIZE})
  endif()
endif()
