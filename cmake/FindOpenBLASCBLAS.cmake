# Find OpenBLAS and its CBLAS header portably, and prove cblas_ddot links.
# Defines the imported target gdlearn_cblas (INTERFACE: library + include dir).
set(BLA_VENDOR OpenBLAS)
find_package(BLAS)
if(NOT BLAS_FOUND)
  message(FATAL_ERROR
    "OpenBLAS was not found. Install it:\n"
    "  Debian/Ubuntu: sudo apt-get install libopenblas-dev\n"
    "  Fedora:        sudo dnf install openblas-devel\n"
    "or point CMAKE_PREFIX_PATH at an OpenBLAS installation.")
endif()

# Debian puts cblas.h in the multiarch include dir (and openblas-pthread/);
# Fedora in /usr/include/openblas.
set(_gd_blas_hints "")
foreach(_lib IN LISTS BLAS_LIBRARIES)
  if(IS_ABSOLUTE "${_lib}")
    get_filename_component(_dir "${_lib}" DIRECTORY)
    list(APPEND _gd_blas_hints "${_dir}/../../include" "${_dir}/../include")
  endif()
endforeach()
find_path(GDLEARN_CBLAS_INCLUDE_DIR cblas.h
  HINTS ${_gd_blas_hints}
  PATH_SUFFIXES openblas openblas-pthread openblas-openmp openblas-serial
                "${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread"
                "${CMAKE_LIBRARY_ARCHITECTURE}"
                "${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp"
                "${CMAKE_LIBRARY_ARCHITECTURE}/openblas-serial")
if(NOT GDLEARN_CBLAS_INCLUDE_DIR)
  message(FATAL_ERROR
    "cblas.h was not found. Install OpenBLAS's development files:\n"
    "  Debian/Ubuntu: sudo apt-get install libopenblas-dev\n"
    "  Fedora:        sudo dnf install openblas-devel")
endif()

include(CheckSymbolExists)
include(CMakePushCheckState)
cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_INCLUDES "${GDLEARN_CBLAS_INCLUDE_DIR}")
set(CMAKE_REQUIRED_LIBRARIES ${BLAS_LIBRARIES})
set(CMAKE_REQUIRED_QUIET ON)
check_symbol_exists(cblas_ddot "cblas.h" GDLEARN_HAVE_CBLAS_DDOT)
check_symbol_exists(openblas_get_corename "cblas.h" GDLEARN_HAVE_OPENBLAS_CORENAME)
cmake_pop_check_state()
if(NOT GDLEARN_HAVE_CBLAS_DDOT)
  message(FATAL_ERROR
    "The BLAS found (${BLAS_LIBRARIES}) does not provide the CBLAS interface "
    "(cblas_ddot). Install libopenblas-dev (Debian/Ubuntu) or openblas-devel (Fedora).")
endif()
message(STATUS "OpenBLAS: ${BLAS_LIBRARIES}; cblas.h in ${GDLEARN_CBLAS_INCLUDE_DIR}")

add_library(gdlearn_cblas INTERFACE)
target_link_libraries(gdlearn_cblas INTERFACE ${BLAS_LIBRARIES})
target_include_directories(gdlearn_cblas SYSTEM INTERFACE "${GDLEARN_CBLAS_INCLUDE_DIR}")
