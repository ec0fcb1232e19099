# The fixtures live in tests/fixtures.py so that the core's tests and every plugin's tests share them.
pytest_plugins = ["tests.fixtures", "tests.browser.fixtures"]
