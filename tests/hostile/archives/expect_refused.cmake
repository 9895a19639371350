# cmake -DKMGRADE=... -DARCHIVE=.../bomb.zip -P expect_refused.cmake
# `kmgrade grade` must refuse the archive as a whole: exit status 1 (no report could be
# produced), stderr naming the archive and the limit it passed, nothing on stdout.
execute_process(COMMAND ${KMGRADE} grade ${ARCHIVE} --format json
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
get_filename_component(name ${ARCHIVE} NAME)
set(expected "kmgrade: error: the archive ${name} unpacks to more than the limits allow (more than 200 times its own size): it looks like a zip bomb, or it holds far more than three source files")
if(NOT status EQUAL 1)
  message(FATAL_ERROR "kmgrade grade ${name} exited with ${status}, not 1\nstdout: ${out}\nstderr: ${err}")
endif()
string(FIND "${err}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "kmgrade grade ${name} did not say\n  ${expected}\nstderr: ${err}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "kmgrade grade ${name} printed a report:\n${out}")
endif()
