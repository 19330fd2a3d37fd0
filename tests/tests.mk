# Test targets. Every layer writes its results as flat TAP lines ("ok - name",
# "not ok - name") to build/test-results/<layer>.tap; tests/check runs the layers and
# prints the one summary line "N passed, N failed".

.PHONY: setup unit kunit e2e
setup:
	@bash tests/setup

check: setup
	@bash tests/check

demo: setup
	@bash tests/demo

bench: setup
	@bash tests/bench/run
