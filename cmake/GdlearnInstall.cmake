# Install the library, headers, CMake package and pkg-config file.
include(CMakePackageConfigHelpers)

set(GDLEARN_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/gdlearn")

install(TARGETS gdlearn
  EXPORT gdlearnTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
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
set(GDLEARN_PC_LIBS_PRIVATE "")
foreach(_lib IN LISTS BLAS_LIBRARIES)
  if(_lib MATCHES "^-")
    string(APPEND GDLEARN_PC_LIBS_PRIVATE " ${_lib}")
  elseif(IS_ABSOLUTE "${_lib}")
    get_filename_component(_dir "${_lib}" DIRECTORY)
    get_filename_component(_name "${_lib}" NAME_WE)
    string(REGEX REPLACE "^lib" "" _name "${_name}")
    string(APPEND GDLEARN_PC_LIBS_PRIVATE " -L${_dir} -l${_name}")
  else()
    string(APPEND GDLEARN_PC_LIBS_PRIVATE " -l${_lib}")
  endif()
endforeach()
string(APPEND GDLEARN_PC_LIBS_PRIVATE " -lm")
if(BUILD_SHARED_LIBS)
  set(GDLEARN_PC_CFLAGS "")
else()
  set(GDLEARN_PC_CFLAGS " -DGDLEARN_STATIC_DEFINE")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/gdlearn.pc.in"
               "${PROJECT_BINARY_DIR}/gdlearn.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/gdlearn.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
