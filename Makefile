# PGXS build of the extension.  The C++ core and the pg_safekeep tool are
# built by CMake (into build/) and linked in; `make install` installs the
# tool into PostgreSQL's bindir beside the server programs.

EXTENSION = pg_safekeep
MODULE_big = pg_safekeep
# The install script is generated from sql/ext/*.sql (one file per part of
# the catalog, concatenated in name order).
DATA_built = pg_safekeep--0.1.0.sql
EXTRA_CLEAN = pg_safekeep--0.1.0.sql
PGFILEDESC = "pg_safekeep - backup and recovery from inside PostgreSQL"

OBJS = $(patsubst %.c,%.o,$(wildcard src/pg/*.c))
# The shim sees only the C interface (include/pg_safekeep/capi.h), never core headers.
PG_CPPFLAGS = -Iinclude
CORE_LIB = build/libsafekeep_core.a
# libpq: the core queries the scratch copies it starts (postgres_fdw links it too).
# libcurl: notifications (webhook, SMTP).
SHLIB_LINK = $(CORE_LIB) -lzstd -lcrypto -lpq -lcurl -lstdc++ -lpthread

REGRESS = catalog bad_input backup incremental
REGRESS_OPTS = --temp-instance=tmp_check_regress --temp-config=test/regress.conf
# The regression instance archives into a fresh repository (test/regress.conf).
REGRESS_PREP = regress-repo

TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl
PROVE_FLAGS = -I test/lib

# The core is C++; no LLVM bitcode for it (and none needed for the shim).
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

BUILD_TYPE ?= RelWithDebInfo

.PHONY: core
core:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	cmake --build build -j2 --target safekeep_core pg_safekeep_cli

# PGXS tracks no header dependencies: every shim object depends on both headers.
$(OBJS): src/pg/safekeep.h include/pg_safekeep/capi.h

$(CORE_LIB): core
$(shlib): $(CORE_LIB)
all: core

install: install-cli
.PHONY: install-cli
install-cli: core
	$(INSTALL_PROGRAM) build/pg_safekeep '$(DESTDIR)$(bindir)/pg_safekeep'

pg_safekeep--0.1.0.sql: $(sort $(wildcard sql/ext/*.sql))
	cat $^ > $@

.PHONY: regress-repo
regress-repo:
	rm -rf /tmp/pg_safekeep_regress_repo && mkdir -p /tmp/pg_safekeep_regress_repo

# Includes point down the layers of src/core (DESIGN-NOTES.md, Architecture).
.PHONY: check-layers
check-layers:
	python3 scripts/check_layers.py

unittest: core
	cmake --build build -j2 --target unit_tests
	cd build && ctest --output-on-failure

clean: clean-core
.PHONY: clean-core
clean-core:
	rm -rf build tmp_check_regress
