# Test targets. Every layer writes its results as flat TAP lines ("ok - name",
# "not ok - name") to build/test-results/<layer>.tap; tests/check runs the layers and
# prints the one summary line "N passed, N failed".

.PHONY: setup
setup:
	@bash tests/setup

# The e2e layers run the library and the command in the guests, so build them first
# (after setup, which installs the libraries they link against).
check: setup
	@$(MAKE) -s userlib cmd
	@bash tests/check

demo: setup
	@bash tests/demo

bench: setup
	@bash tests/bench/run
