# The environment every test starts from, whoever runs ctest. ctest includes this file (the
# top-level CMakeLists.txt names it in TEST_INCLUDE_FILES) before it runs any test, so it applies to
# every test alike: GoogleTest cases, the node and python tests, the benchmarks' smoke runs.
#
# The caller's JIT_*, AWS_* and SLACK_* variables and proxy settings are removed: a developer's
# JIT_CONFIG, AWS_PROFILE or Slack token must neither change a result nor send a request anywhere.
# Then nothing is read from ~/.aws and the instance-metadata endpoint is never tried: no test may
# reach beyond loopback. A test that needs other values sets them itself (setenv in the test, its
# ENVIRONMENT property, or the environment of a child it starts); those apply on top of this.
#
# It runs inside ctest (not cmake) and changes ctest's own environment, which each test inherits.
# tests/hermetic_env_check.cmake checks the result (ctest -R hermetic); it includes this file with
# JIT_HERMETIC_DEFINE_ONLY set, for the two lists below.

# Names removed: a regular expression matched against each NAME of `env`'s NAME=value lines.
set(jit_hermetic_removed "(JIT|AWS|SLACK)_[A-Za-z0-9_]*|([Hh][Tt][Tt][Pp][Ss]?|[Aa][Ll][Ll]|[Nn][Oo])_[Pp][Rr][Oo][Xx][Yy]")
# Then set, as NAME=value.
set(jit_hermetic_set AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null)

if(NOT JIT_HERMETIC_DEFINE_ONLY)
  execute_process(COMMAND env OUTPUT_VARIABLE _jit_caller_env RESULT_VARIABLE _jit_env_result)
  if(NOT _jit_env_result EQUAL 0)
    message(FATAL_ERROR "tests/hermetic_env.cmake: `env` failed (${_jit_env_result}); cannot clear the test environment")
  endif()
  string(REGEX MATCHALL "(^|\n)(${jit_hermetic_removed})=" _jit_removed "${_jit_caller_env}")
  foreach(_jit_name IN LISTS _jit_removed)
    string(REGEX REPLACE "^\n?(.*)=$" "\\1" _jit_name "${_jit_name}")
    unset(ENV{${_jit_name}})
  endforeach()
  foreach(_jit_entry IN LISTS jit_hermetic_set)
    string(REGEX MATCH "^([^=]*)=(.*)$" _jit_match "${_jit_entry}")
    set(ENV{${CMAKE_MATCH_1}} "${CMAKE_MATCH_2}")
  endforeach()
endif()
