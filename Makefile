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
# The core's libraries are listed once, in CMakeLists.txt; CMake writes them
# as linker arguments to build/core_link_libs.txt when it configures (the
# `core` target, which the link waits for; read at link time, hence `=`).
# -lstdc++: the C++ runtime the core needs, linked here by the C compiler.
CORE_LINK_LIBS = build/core_link_libs.txt
SHLIB_LINK = $(CORE_LIB) $(shell cat $(CORE_LINK_LIBS) 2>/dev/null) -lstdc++

# pg_regress inputs are test/sql/*.sql, expected output test/expected/*.out.
REGRESS = catalog bad_input backup incremental
# Each run's files stay in this tree (two trees never share them): the server
# settings (test/regress.conf plus the paths below) and an empty repository.
# The temporary instance listens only on a Unix socket in a directory of its
# own (pg_regress's default), so its port cannot collide with another server.
REGRESS_FILES = $(CURDIR)/tmp_check_regress_files
REGRESS_OPTS = --inputdir=test --temp-instance=tmp_check_regress \
	--temp-config=$(REGRESS_FILES)/regress.conf
REGRESS_PREP = regress-files

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

# PGXS tracks no header dependencies: every shim object depends on every shim header.
$(OBJS): $(wildcard src/pg/*.h) $(wildcard include/pg_safekeep/*.h)

$(CORE_LIB): core
$(shlib): $(CORE_LIB)
all: core

install: install-cli
.PHONY: install-cli
install-cli: core
	$(INSTALL_PROGRAM) build/pg_safekeep '$(DESTDIR)$(bindir)/pg_safekeep'

pg_safekeep--0.1.0.sql: $(sort $(wildcard sql/ext/*.sql))
	cat $^ > $@

# regress.files_dir: the tests' restore targets go under it (never created).
.PHONY: regress-files
regress-files:
	rm -rf '$(REGRESS_FILES)' && mkdir -p '$(REGRESS_FILES)/repo'
	{ cat test/regress.conf; \
	  echo "safekeep.repo1_path = '$(REGRESS_FILES)/repo'"; \
	  echo "regress.files_dir = '$(REGRESS_FILES)'"; } > '$(REGRESS_FILES)/regress.conf'

# Includes point down the layers of src/core (DESIGN-NOTES.md, Architecture).
.PHONY: check-layers
check-layers:
	python3 scripts/check_layers.py

# As root the ScratchServer tests (real servers) skip under ctest; the script
# runs them again as the server user (postgres, or SAFEKEEP_TEST_USER).
unittest: core
	cmake --build build -j2 --target unit_tests
	cd build && ctest --output-on-failure
	bash test/unit/as_server_user.sh build 'ScratchServer.*'

clean: clean-core
.PHONY: clean-core
clean-core:
	rm -rf build tmp_check_regress tmp_check_regress_files
