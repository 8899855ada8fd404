# Shortcuts to ./dev (which works on a fresh machine without just).

# migrate, load the demo data and serve on http://127.0.0.1:8000
serve *ARGS:
    ./dev demo {{ARGS}}

# every test, on SQLite and PostgreSQL
test *ARGS:
    ./dev test {{ARGS}}

# the benchmarks in bench/
bench *ARGS:
    ./dev bench {{ARGS}}

# ruff over the code
lint:
    ./dev lint

# extract messages and update locale/*.po
i18n:
    ./dev i18n
