# ctest gdlearn.exports: the shared library exports the public API (gd_*) and
# nothing else. Internal gdi_* functions — and the load-time dispatchers of
# the vector-math clones, which GCC exports unless the clone is static
# (src/kernels/vmath.h) — must stay hidden.
# Usage: cmake -DNM=<nm> -DLIB=<libgdlearn.so> -P exports.cmake
execute_process(COMMAND "${NM}" -D --defined-only "${LIB}"
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} -D failed on ${LIB}")
endif()
string(REGEX MATCHALL "[^\n]+" lines "${out}")
set(public 0)
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^.* " "" name "${line}")
  if(name MATCHES "^gd_")
    math(EXPR public "${public} + 1")
  else()
    message(FATAL_ERROR "exported but not public API: ${line}")
  endif()
endforeach()
if(public EQUAL 0)
  message(FATAL_ERROR "no gd_* symbol exported from ${LIB}")
endif()
message(STATUS "${public} gd_* symbols exported, nothing else")
