# cmake -DBINARY=path/to/jit -P binary_has_no_test_doubles.cmake
# Fails when the production binary carries an emulator or a test double: `jit demo` runs the
# emulators as executables, and the in-memory ports live in tests/fakes only.
if(NOT BINARY OR NOT EXISTS "${BINARY}")
  message(FATAL_ERROR "BINARY='${BINARY}': give the path of a built binary with -DBINARY=...")
endif()
execute_process(COMMAND nm -C "${BINARY}" OUTPUT_VARIABLE symbols ERROR_VARIABLE errors RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm -C ${BINARY} failed (${rc}): ${errors}")
endif()
string(LENGTH "${symbols}" length)
if(length LESS 1000)
  message(FATAL_ERROR "nm -C ${BINARY} listed almost nothing (${length} bytes): is it stripped? The check needs symbols")
endif()
set(found "")
foreach(name IN ITEMS "jit::emulators::" MemoryAccessProvider MemoryChat MemoryDirectory MemoryStore ManualClock
                      SlackEmulator AwsEmulator)
  string(FIND "${symbols}" "${name}" at)
  if(NOT at EQUAL -1)
    # The whole line of the first symbol that names it, as an example.
    string(SUBSTRING "${symbols}" ${at} 200 tail)
    string(REGEX REPLACE "\n.*" "" example "${tail}")
    list(APPEND found "${name} (e.g. ...${example})")
  endif()
endforeach()
if(found)
  list(JOIN found "\n  " lines)
  message(FATAL_ERROR "${BINARY} links code it must not (emulators run as their own executables; "
                      "test doubles belong to tests/fakes):\n  ${lines}")
endif()
message(STATUS "${BINARY}: no emulator or test-double symbols")
