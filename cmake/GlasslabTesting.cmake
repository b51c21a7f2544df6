# glasslab_add_test(NAME SOURCES a.cpp b.cpp LIBS lib... [LABELS unit|integration|e2e] [TIMEOUT s])
# One executable per unit (as {fmt} does); each doctest case becomes its own ctest entry.
find_package(doctest REQUIRED)
include(doctest)

function(glasslab_add_test name)
  cmake_parse_arguments(T "RUN_SERIAL" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set(serial FALSE)
  if(T_RUN_SERIAL)  # for a test whose claim is about timing on an otherwise quiet host
    set(serial TRUE)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE glasslab_doctest_main ${T_LIBS})
  target_compile_definitions(${name} PRIVATE
    GLASSLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    GLASSLAB_BINARY="$<TARGET_FILE:glasslab>")
  # Only tests that run the CLI wait for it to link; unit tests build just their own libraries
  # (on a 2-core machine that matters).
  if(TARGET glasslab AND (T_LABELS MATCHES "integration|e2e"))
    add_dependencies(${name} glasslab)
  endif()
  doctest_discover_tests(${name}
    TEST_PREFIX "${name}: "
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} RUN_SERIAL ${serial})
endfunction()

# glasslab_add_library(name DIR dir LIBS ...): one library per folder, built from every .cpp in
# it (recursively), so adding a unit needs no edit here. A folder with no sources yet is an
# INTERFACE library that still carries its dependencies.
function(glasslab_add_library name)
  cmake_parse_arguments(L "" "DIR" "LIBS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${L_DIR}/*.cpp)
  list(FILTER sources EXCLUDE REGEX ".*/(main|fuzz_[^/]*)\\.cpp$")
  if(sources)
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC ${L_LIBS})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${L_LIBS})
  endif()
endfunction()
