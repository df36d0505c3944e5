# Install the library, headers, CMake package and pkg-config file.
include(CMakePackageConfigHelpers)

get_target_property(_gd_type gdlearn TYPE)
if(_gd_type STREQUAL "SHARED_LIBRARY")
  set(GDLEARN_CONFIG_SHARED ON)
else()
  set(GDLEARN_CONFIG_SHARED OFF)
endif()

set(GDLEARN_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/gdlearn")

# The include directory comes from the target's INSTALL_INTERFACE.
install(TARGETS gdlearn
  EXPORT gdlearnTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(FILES "${PROJECT_SOURCE_DIR}/include/gdlearn/gdlearn.h"
              "${PROJECT_BINARY_DIR}/include/gdlearn/export.h"
              "${PROJECT_BINARY_DIR}/include/gdlearn/version.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/gdlearn")
install(EXPORT gdlearnTargets
  NAMESPACE gdlearn::
  DESTINATION "${GDLEARN_CMAKE_DIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/gdlearnConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/gdlearnConfig.cmake"
  INSTALL_DESTINATION "${GDLEARN_CMAKE_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/gdlearnConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/gdlearnConfig.cmake"
              "${PROJECT_BINARY_DIR}/gdlearnConfigVersion.cmake"
        DESTINATION "${GDLEARN_CMAKE_DIR}")

# pkg-config: paths relative to ${prefix} unless the install dirs are absolute.
foreach(_kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_kind}}")
    set(GDLEARN_PC_${_kind} "${CMAKE_INSTALL_${_kind}}")
  else()
    set(GDLEARN_PC_${_kind} "\${prefix}/${CMAKE_INSTALL_${_kind}}")
  endif()
endforeach()
# OpenBLAS as linker flags (Debian and Fedora name its .pc differently, and
# some installs have none, so no Requires.private).
set(GDLEARN_PC_LIBS_PRIVATE "")
foreach(_lib IN LISTS BLAS_LIBRARIES)
  if(_lib MATCHES "^-")
    string(APPEND GDLEARN_PC_LIBS_PRIVATE " ${_lib}")
  elseif(IS_ABSOLUTE "${_lib}")
    get_filename_component(_dir "${_lib}" DIRECTORY)
    get_filename_component(_name "${_lib}" NAME)
    string(REGEX REPLACE "^lib" "" _name "${_name}")
    string(REGEX REPLACE "\\.(so|a|dylib|tbd)(\\..*)?$" "" _name "${_name}")
    string(APPEND GDLEARN_PC_LIBS_PRIVATE " -L${_dir} -l${_name}")
  else()
    string(APPEND GDLEARN_PC_LIBS_PRIVATE " -l${_lib}")
  endif()
endforeach()
string(APPEND GDLEARN_PC_LIBS_PRIVATE " -lm")
if(GDLEARN_CONFIG_SHARED)
  set(GDLEARN_PC_CFLAGS "")
else()
  set(GDLEARN_PC_CFLAGS " -DGDLEARN_STATIC_DEFINE")
endif()
# The prefix is written at install time, so that `cmake --install --prefix`
# gives a .pc that points where the files went.
set(GDLEARN_PC_PREFIX "@GDLEARN_PC_PREFIX@")
configure_file("${PROJECT_SOURCE_DIR}/cmake/gdlearn.pc.in"
               "${PROJECT_BINARY_DIR}/gdlearn.pc.in" @ONLY)
install(CODE "
  set(GDLEARN_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/gdlearn.pc.in\" \"${PROJECT_BINARY_DIR}/gdlearn.pc\" @ONLY)")
install(FILES "${PROJECT_BINARY_DIR}/gdlearn.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

# Our installed executables (the CLI) find a shared libgdlearn relative to
# themselves, so a prefix outside the loader's paths needs no LD_LIBRARY_PATH.
# Set here, after src/cli exists, for whatever targets it defines; a target
# that sets its own INSTALL_RPATH keeps it.
if(GDLEARN_CONFIG_SHARED AND GDLEARN_BUILD_CLI
   AND EXISTS "${PROJECT_SOURCE_DIR}/src/cli/CMakeLists.txt")
  foreach(_kind BINDIR LIBDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${_kind}}")
      set(_gd_${_kind} "${CMAKE_INSTALL_${_kind}}")
    else()
      set(_gd_${_kind} "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_${_kind}}")
    endif()
  endforeach()
  if(NOT _gd_LIBDIR IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_BINDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
      set(_gd_rpath "${_gd_LIBDIR}")
    else()
      file(RELATIVE_PATH _gd_rel "${_gd_BINDIR}" "${_gd_LIBDIR}")
      set(_gd_rpath "$ORIGIN/${_gd_rel}")
    endif()
    get_property(_gd_targets DIRECTORY "${PROJECT_SOURCE_DIR}/src/cli" PROPERTY BUILDSYSTEM_TARGETS)
    foreach(_gd_target IN LISTS _gd_targets)
      get_target_property(_gd_ttype ${_gd_target} TYPE)
      get_target_property(_gd_trpath ${_gd_target} INSTALL_RPATH)
      if(_gd_ttype STREQUAL "EXECUTABLE" AND NOT _gd_trpath)
        set_target_properties(${_gd_target} PROPERTIES INSTALL_RPATH "${_gd_rpath}")
      endif()
    endforeach()
  endif()
endif()
