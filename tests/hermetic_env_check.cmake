# Checks the environment a test process sees against tests/hermetic_env.cmake: of the variables it
# removes, only those it sets are there, with its values.
#   cmake -D HERMETIC_ENV=.../hermetic_env.cmake -P hermetic_env_check.cmake
#       the environment ctest gave this test
#   cmake -D HERMETIC_ENV=.../hermetic_env.cmake -D APPLY=ON -P hermetic_env_check.cmake
#       this environment after applying hermetic_env.cmake to it (run under a junk environment)
cmake_minimum_required(VERSION 3.25)
set(JIT_HERMETIC_DEFINE_ONLY ON)
if(APPLY)
  set(JIT_HERMETIC_DEFINE_ONLY OFF)
endif()
include("${HERMETIC_ENV}")

execute_process(COMMAND env OUTPUT_VARIABLE environment)
string(REGEX MATCHALL "(^|\n)(${jit_hermetic_removed})=[^\n]*" seen "${environment}")
set(problems "")
foreach(entry IN LISTS seen)
  string(STRIP "${entry}" entry)
  if(NOT entry IN_LIST jit_hermetic_set)
    string(APPEND problems "\n  ${entry}: should have been removed")
  endif()
endforeach()
foreach(entry IN LISTS jit_hermetic_set)
  string(REGEX MATCH "^([^=]*)=" name "${entry}")
  if(NOT "${CMAKE_MATCH_1}=$ENV{${CMAKE_MATCH_1}}" STREQUAL entry)
    string(APPEND problems "\n  ${CMAKE_MATCH_1} is '$ENV{${CMAKE_MATCH_1}}', expected ${entry}")
  endif()
endforeach()
if(problems)
  message(FATAL_ERROR "The test environment is not hermetic:${problems}")
endif()
message(STATUS "hermetic: ${jit_hermetic_set}")
