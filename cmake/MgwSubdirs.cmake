# mgw_add_subdirectories(dir ...): adds each listed folder that has a CMakeLists.txt, except those
# named (relative to the source root) in the cache list MGW_SKIP_SUBDIRS, a knob for working on
# one part of the tree while another is mid-change.
set(MGW_SKIP_SUBDIRS "" CACHE STRING "Folders (relative to the source root) not to configure")
function(mgw_add_subdirectories)
  foreach(dir IN LISTS ARGN)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/${dir})
    if(rel IN_LIST MGW_SKIP_SUBDIRS)
      message(STATUS "mgw: skipping ${rel} (MGW_SKIP_SUBDIRS)")
    elseif(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt)
      add_subdirectory(${dir})
    endif()
  endforeach()
endfunction()
