# Warnings and sanitizers shared by every mgw target (applied through mgw_target_defaults()).
add_library(mgw_compile_options INTERFACE)
target_compile_options(mgw_compile_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wimplicit-fallthrough
  # Designated initializers leave the rest at their defaults on purpose.
  -Wno-missing-field-initializers)
if(MGW_WERROR)
  target_compile_options(mgw_compile_options INTERFACE -Werror)
endif()
if(MGW_SANITIZE)
  target_compile_options(mgw_compile_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(mgw_compile_options INTERFACE -fsanitize=address,undefined)
endif()
target_include_directories(mgw_compile_options INTERFACE ${CMAKE_BINARY_DIR}/generated)
