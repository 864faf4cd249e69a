# Thin wrapper over CMake presets. The two commands a new machine needs:
#   make run    install dependencies, build, start the appliance in the foreground
#   make test   install dependencies, build with warnings as errors, run every test
JOBS ?= 2

.PHONY: run test deps build build-ci package format clean

deps:
	@bash deploy/install-deps.sh

build: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

run: build
	@bash tools/mgw-run build/release

build-ci: deps
	cmake --preset ci
	cmake --build --preset ci -j $(JOBS)

test: build-ci
	ctest --preset ci

package: build
	cmake --build --preset release --target package

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
