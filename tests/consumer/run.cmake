# Install test (ctest gdlearn.install_shared / gdlearn.install_static):
#   cmake -DSOURCE_DIR=<project> -DWORK_DIR=<scratch> -DSHARED=ON|OFF -DVERSION=x.y.z
#         -DC_COMPILER=<cc> -DGENERATOR=<generator> [-DMAKE_PROGRAM=<make>] -P run.cmake
#
# Builds the project afresh, installs it into prefixes under WORK_DIR, and
# builds and runs tests/consumer/main.c against each prefix twice: through
# find_package(gdlearn) and through pkg-config. Three installs:
#   rel    CMAKE_INSTALL_PREFIX = the prefix, relative LIBDIR (lib)
#   moved  the same build installed with `cmake --install --prefix <elsewhere>`
#   abs    an absolute CMAKE_INSTALL_LIBDIR (<prefix>/lib64abs)
cmake_minimum_required(VERSION 3.16)

foreach(_var SOURCE_DIR WORK_DIR SHARED VERSION C_COMPILER GENERATOR)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${_var}=... is required")
  endif()
endforeach()
string(REGEX MATCH "^([0-9]+)\\." _m "${VERSION}")
set(SOVERSION "${CMAKE_MATCH_1}")
set(CONSUMER_DIR "${SOURCE_DIR}/tests/consumer")
set(_gen_args -G "${GENERATOR}")
if(MAKE_PROGRAM)
  list(APPEND _gen_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()

find_program(PKG_CONFIG NAMES pkg-config pkgconf)
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "pkg-config was not found (Debian/Ubuntu: apt-get install pkg-config)")
endif()
find_program(OBJDUMP objdump)

# Nothing from the caller's environment may steer the builds, the install or
# the package searches. CMAKE_PREFIX_PATH stays: OpenBLAS may be found through
# it, and the explicit prefix given below is searched first anyway.
foreach(_env CC CFLAGS CPPFLAGS LDFLAGS DESTDIR CMAKE_INSTALL_MODE CMAKE_TOOLCHAIN_FILE
             CMAKE_BUILD_TYPE CMAKE_CONFIGURATION_TYPES CMAKE_GENERATOR CMAKE_GENERATOR_PLATFORM
             CMAKE_GENERATOR_TOOLSET CMAKE_C_COMPILER_LAUNCHER gdlearn_DIR gdlearn_ROOT
             GDLEARN_ROOT PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR)
  unset(ENV{${_env}})
endforeach()
set(_orig_ld_path "$ENV{LD_LIBRARY_PATH}")

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# step(<name> <command...>): run a command, keep its output in WORK_DIR/<name>.log,
# stop with that output on failure. Leaves the output in STEP_OUTPUT.
function(step name)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
  file(WRITE "${WORK_DIR}/${name}.log" "$ ${ARGN}\n${_out}${_err}")
  if(NOT _rc STREQUAL "0")
    message(FATAL_ERROR "step ${name} failed (${_rc}):\n  ${ARGN}\n${_out}${_err}")
  endif()
  message(STATUS "ok: ${name}")
  set(STEP_OUTPUT "${_out}" PARENT_SCOPE)
endfunction()

function(require_file path)
  if(NOT EXISTS "${path}" OR IS_DIRECTORY "${path}")
    message(FATAL_ERROR "expected file ${path} is missing")
  endif()
endfunction()

function(forbid_file path)
  if(EXISTS "${path}" OR IS_SYMLINK "${path}")
    message(FATAL_ERROR "${path} should not be installed")
  endif()
endfunction()

# The symlink a -> b (b relative, in the same directory).
function(require_symlink link target)
  if(NOT IS_SYMLINK "${link}")
    message(FATAL_ERROR "${link} is not a symlink")
  endif()
  file(READ_SYMLINK "${link}" _to)
  if(NOT _to STREQUAL target)
    message(FATAL_ERROR "${link} points to ${_to}, expected ${target}")
  endif()
endfunction()

# check_install(<tag> <prefix> <libdir>): the installed tree and the .pc.
function(check_install tag prefix libdir)
  foreach(_f gdlearn.h export.h version.h)
    require_file("${prefix}/include/gdlearn/${_f}")
  endforeach()
  file(READ "${prefix}/include/gdlearn/version.h" _vh)
  if(NOT _vh MATCHES "GDLEARN_VERSION_STRING \"${VERSION}\"")
    message(FATAL_ERROR "installed version.h does not say ${VERSION}")
  endif()
  file(READ "${prefix}/include/gdlearn/export.h" _eh)
  if(NOT _eh MATCHES "GDLEARN_STATIC_DEFINE")
    message(FATAL_ERROR "installed export.h has no GDLEARN_STATIC_DEFINE branch")
  endif()
  foreach(_f gdlearnConfig.cmake gdlearnConfigVersion.cmake gdlearnTargets.cmake
             gdlearnTargets-release.cmake)
    require_file("${libdir}/cmake/gdlearn/${_f}")
  endforeach()
  file(READ "${libdir}/cmake/gdlearn/gdlearnConfigVersion.cmake" _cv)
  # The comment CMake's SameMajorVersion template opens with.
  if(NOT _cv MATCHES "only if the requested major version is the same"
     OR NOT _cv MATCHES "PACKAGE_VERSION \"${VERSION}\"")
    message(FATAL_ERROR "gdlearnConfigVersion.cmake is not SameMajorVersion ${VERSION}")
  endif()
  require_file("${libdir}/pkgconfig/gdlearn.pc")

  if(SHARED)
    require_file("${libdir}/libgdlearn.so.${VERSION}")
    require_symlink("${libdir}/libgdlearn.so.${SOVERSION}" "libgdlearn.so.${VERSION}")
    require_symlink("${libdir}/libgdlearn.so" "libgdlearn.so.${SOVERSION}")
    forbid_file("${libdir}/libgdlearn.a")
    if(OBJDUMP)
      execute_process(COMMAND "${OBJDUMP}" -p "${libdir}/libgdlearn.so.${VERSION}"
                      OUTPUT_VARIABLE _dyn RESULT_VARIABLE _rc)
      if(NOT _rc STREQUAL "0" OR NOT _dyn MATCHES "SONAME +libgdlearn\\.so\\.${SOVERSION}\n")
        message(FATAL_ERROR "libgdlearn.so.${VERSION} has no SONAME libgdlearn.so.${SOVERSION}")
      endif()
      if(NOT _dyn MATCHES "NEEDED +libopenblas")
        message(FATAL_ERROR "libgdlearn.so.${VERSION} does not record its OpenBLAS dependency")
      endif()
    endif()
  else()
    require_file("${libdir}/libgdlearn.a")
    forbid_file("${libdir}/libgdlearn.so")
  endif()

  # The .pc: where it points, and what it gives a shared and a static link.
  file(STRINGS "${libdir}/pkgconfig/gdlearn.pc" _pc)
  list(FILTER _pc INCLUDE REGEX "^(prefix|libdir)=")
  list(GET _pc 0 _pc_prefix)
  list(GET _pc 1 _pc_libdir)
  if(NOT _pc_prefix STREQUAL "prefix=${prefix}")
    message(FATAL_ERROR "gdlearn.pc (${tag}) says ${_pc_prefix}, installed in ${prefix}")
  endif()
  if(libdir STREQUAL "${prefix}/lib")
    set(_want "libdir=\${prefix}/lib")
  else()
    set(_want "libdir=${libdir}")
  endif()
  if(NOT _pc_libdir STREQUAL _want)
    message(FATAL_ERROR "gdlearn.pc (${tag}) says ${_pc_libdir}, expected ${_want}")
  endif()

  set(ENV{PKG_CONFIG_PATH} "${libdir}/pkgconfig")
  step(${tag}-pkgconfig-version "${PKG_CONFIG}" --modversion gdlearn)
  string(STRIP "${STEP_OUTPUT}" _v)
  if(NOT _v STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config --modversion gdlearn gives ${_v}, expected ${VERSION}")
  endif()
  step(${tag}-pkgconfig-cflags "${PKG_CONFIG}" --cflags gdlearn)
  set(_cflags "${STEP_OUTPUT}")
  step(${tag}-pkgconfig-libs "${PKG_CONFIG}" --libs gdlearn)
  set(_libs "${STEP_OUTPUT}")
  step(${tag}-pkgconfig-static-libs "${PKG_CONFIG}" --static --libs gdlearn)
  set(_static_libs "${STEP_OUTPUT}")
  # string(FIND), not MATCHES: the paths may hold regex characters.
  string(FIND "${_cflags}" "-I${prefix}/include" _at_inc)
  string(FIND "${_libs}" "-L${libdir} -lgdlearn" _at_lib)
  if(_at_inc LESS 0)
    message(FATAL_ERROR "pkg-config --cflags gdlearn gives '${_cflags}'")
  endif()
  if(_at_lib LESS 0 OR _libs MATCHES "openblas")
    message(FATAL_ERROR "pkg-config --libs gdlearn gives '${_libs}'")
  endif()
  if(NOT _static_libs MATCHES "-lgdlearn.*-lopenblas.*-lm")
    message(FATAL_ERROR "pkg-config --static --libs gdlearn gives '${_static_libs}'")
  endif()
  if(SHARED AND _cflags MATCHES "GDLEARN_STATIC_DEFINE")
    message(FATAL_ERROR "the shared library's .pc defines GDLEARN_STATIC_DEFINE")
  elseif(NOT SHARED AND NOT _cflags MATCHES "-DGDLEARN_STATIC_DEFINE")
    message(FATAL_ERROR "the static library's .pc lacks -DGDLEARN_STATIC_DEFINE")
  endif()
endfunction()

# run_consumers(<tag> <prefix> <libdir> [cmake args]): main.c through
# find_package, then through pkg-config.
function(run_consumers tag prefix libdir)
  set(_expect_static OFF)
  set(_defs "")
  if(NOT SHARED)
    set(_expect_static ON)
    set(_defs -DGDLEARN_CONSUMER_EXPECT_STATIC)
  endif()

  set(_bin "${WORK_DIR}/consumer-${tag}")
  step(${tag}-cmake-consumer-configure "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${_bin}"
       ${_gen_args} "-DCMAKE_C_COMPILER=${C_COMPILER}" -DCMAKE_BUILD_TYPE=Release
       "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
       "-DGDLEARN_CONSUMER_EXPECT_STATIC=${_expect_static}"
       "-DGDLEARN_CONSUMER_EXPECT_DIR=${libdir}/cmake/gdlearn" ${ARGN})
  step(${tag}-cmake-consumer-build "${CMAKE_COMMAND}" --build "${_bin}" --config Release)
  set(_exe "${_bin}/consumer")
  if(NOT EXISTS "${_exe}")
    set(_exe "${_bin}/Release/consumer")
  endif()
  # No LD_LIBRARY_PATH: the executable CMake linked must find libgdlearn itself.
  set(ENV{LD_LIBRARY_PATH} "${_orig_ld_path}")
  step(${tag}-cmake-consumer-run "${_exe}")
  message(STATUS "  ${STEP_OUTPUT}")

  set(ENV{PKG_CONFIG_PATH} "${libdir}/pkgconfig")
  set(_static "")
  if(NOT SHARED)
    set(_static --static)
  endif()
  execute_process(COMMAND "${PKG_CONFIG}" --cflags --libs ${_static} gdlearn
                  OUTPUT_VARIABLE _flags RESULT_VARIABLE _rc)
  if(NOT _rc STREQUAL "0")
    message(FATAL_ERROR "pkg-config --cflags --libs ${_static} gdlearn failed")
  endif()
  separate_arguments(_flags UNIX_COMMAND "${_flags}")
  set(_pc_exe "${WORK_DIR}/pkgconfig-consumer-${tag}")
  # Strict C11 and warnings as errors: the installed header must not need more.
  step(${tag}-pkgconfig-consumer-build "${C_COMPILER}" -std=c11 -Wall -Wextra -Wpedantic
       -Werror ${_defs}
       "${CONSUMER_DIR}/main.c" -o "${_pc_exe}" ${_flags})
  if(_orig_ld_path)
    set(ENV{LD_LIBRARY_PATH} "${libdir}:${_orig_ld_path}")
  else()
    set(ENV{LD_LIBRARY_PATH} "${libdir}")
  endif()
  step(${tag}-pkgconfig-consumer-run "${_pc_exe}")
  message(STATUS "  ${STEP_OUTPUT}")
  set(ENV{LD_LIBRARY_PATH} "${_orig_ld_path}")
endfunction()

set(_build "${WORK_DIR}/build")
set(_project_args ${_gen_args} "-DCMAKE_C_COMPILER=${C_COMPILER}" -DCMAKE_BUILD_TYPE=Release
    "-DBUILD_SHARED_LIBS=${SHARED}" -DGDLEARN_BUILD_TESTS=OFF -DGDLEARN_BUILD_EXAMPLES=OFF
    -DGDLEARN_BUILD_CLI=OFF)

# rel: the usual layout.
set(_prefix "${WORK_DIR}/prefix")
step(rel-configure "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${_build}" ${_project_args}
     "-DCMAKE_INSTALL_PREFIX=${_prefix}" -DCMAKE_INSTALL_LIBDIR=lib
     -DCMAKE_INSTALL_INCLUDEDIR=include)
step(rel-build "${CMAKE_COMMAND}" --build "${_build}" --config Release --parallel 2)
step(rel-install "${CMAKE_COMMAND}" --install "${_build}" --config Release)
check_install(rel "${_prefix}" "${_prefix}/lib")
run_consumers(rel "${_prefix}" "${_prefix}/lib")

file(GLOB_RECURSE _files RELATIVE "${_prefix}" LIST_DIRECTORIES false "${_prefix}/*")
list(SORT _files)
string(REPLACE ";" "\n  " _files "${_files}")
message(STATUS "installed into ${_prefix}:\n  ${_files}")

# moved: the same build, installed elsewhere at install time.
set(_moved "${WORK_DIR}/prefix-moved")
step(moved-install "${CMAKE_COMMAND}" --install "${_build}" --config Release
     --prefix "${_moved}")
check_install(moved "${_moved}" "${_moved}/lib")
run_consumers(moved "${_moved}" "${_moved}/lib")

# abs: an absolute CMAKE_INSTALL_LIBDIR, outside the usual ${prefix}/lib.
set(_abs "${WORK_DIR}/prefix-abs")
step(abs-configure "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${_build}" ${_project_args}
     "-DCMAKE_INSTALL_PREFIX=${_abs}" "-DCMAKE_INSTALL_LIBDIR=${_abs}/lib64abs"
     -DCMAKE_INSTALL_INCLUDEDIR=include)
step(abs-build "${CMAKE_COMMAND}" --build "${_build}" --config Release --parallel 2)
step(abs-install "${CMAKE_COMMAND}" --install "${_build}" --config Release)
check_install(abs "${_abs}" "${_abs}/lib64abs")
# find_package does not search an arbitrary libdir: such a user names the package dir.
run_consumers(abs "${_abs}" "${_abs}/lib64abs" "-Dgdlearn_DIR=${_abs}/lib64abs/cmake/gdlearn")

message(STATUS "install test passed (SHARED=${SHARED})")
