# The fixtures live under tests/ so that the core's tests and every plugin's tests share them.
pytest_plugins = ["tests.fixtures", "tests.factories", "tests.browser.fixtures"]
