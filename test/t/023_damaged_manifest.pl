# One damaged manifest is a problem of that backup only: listing, restoring,
# verifying and backing up keep working for every other backup, and the
# damaged one is reported, never silently dropped or marked expired.
use strict;
use warnings;

use File::Copy;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my $tmp = PostgreSQL::Test::Utils::tempdir();
my ($node, $repo) = safekeep_node('damaged', conf => "safekeep.retention_full = 0\n");
$node->safe_psql('postgres', 'CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g');
my $f1 = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
$node->safe_psql('postgres', 'INSERT INTO t SELECT generate_series(1001, 2000)');
my $f2 = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
$node->safe_psql('postgres', 'INSERT INTO t SELECT generate_series(2001, 3000)');
my $i2 = $node->safe_psql('postgres', 'SELECT safekeep.create_incremental_backup()');
switch_and_wait($node);
my $stanza = $node->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
my @repo = ("--repo1-path=$repo", "--stanza=$stanza");

# Truncate the oldest backup's manifest, as a torn copy or a full disk would.
my ($f1_dir) = backup_dirs($repo, $f1);
my $manifest = "$f1_dir/manifest.json";
copy($manifest, "$tmp/manifest.orig") or die "copy: $!";
truncate($manifest, int((-s $manifest) / 2)) or die "truncate: $!";

# --- the tool ---------------------------------------------------------------------
my ($rc, $out, $err) = run_tool('info', @repo);
is($rc, 0, 'info works with one damaged manifest');
like($out, qr/^\Q$f2\E /m, 'and lists the intact full backup');
like($out, qr/^\Q$i2\E /m, 'and the incremental');
like($out, qr/damaged backups.*\n  \Q$f1\E: .*\Q$manifest\E/,
	'and names the damaged one with its manifest');
my $info = tool_info($repo);
is_deeply([ map { $_->{label} } @{ $info->{backups} } ], [ $f2, $i2 ], 'JSON: backups are the intact ones');
is(scalar(@{ $info->{damaged_backups} }), 1, 'JSON: one damaged backup');
is($info->{damaged_backups}[0]{label}, $f1, 'JSON: it is the truncated one');

($rc, $out, $err) = run_tool('restore', @repo, "--pgdata=$tmp/i2", "--set=$i2");
is($rc, 0, 'restore of another backup (an incremental) works') or diag($err);
ok(-f "$tmp/i2/PG_VERSION", 'and restores it');
($rc, $out, $err) = run_tool('restore', @repo, "--pgdata=$tmp/f1", "--set=$f1");
is($rc, 1, 'restore of the damaged backup fails');
like($err, qr/backup "\Q$f1\E" cannot be restored: its manifest is damaged/, 'saying why');
ok(!-e "$tmp/f1", 'and creates nothing');

($rc, $out, $err) = run_tool('verify', @repo, "--set=$f2");
is($rc, 0, 'verify of an intact backup passes') or diag($out . $err);
($rc, $out, $err) = run_tool('verify', @repo, "--set=$f1");
is($rc, 1, 'verify of the damaged backup reports a problem');
like($out . $err, qr/manifest/, 'about its manifest');
($rc, $out, $err) = run_tool('expire', @repo, '--retention-full=5', '--dry-run');
is($rc, 0, 'a retention run still works') or diag($err);

# --- SQL ----------------------------------------------------------------------------
my $problems = $node->safe_psql('postgres',
	"SELECT problem || ' ' || object FROM safekeep.verify_backup('$f1')");
like($problems, qr/^manifest backup\/\Q$f1\E\/manifest\.json$/,
	'verify_backup(damaged) returns the problem as a row instead of raising');
is($node->safe_psql('postgres', "SELECT count(*) FROM safekeep.verify_backup('$f2')"), '0',
	'verify_backup of an intact backup returns no rows');
is($node->safe_psql('postgres',
		"SELECT status || ' ' || verify_status FROM safekeep.backup_catalog WHERE label = '$f1'"),
	'completed failed', 'the damaged backup stays completed (not expired), with verification failed');
$node->safe_psql('postgres', 'SELECT safekeep.sync_catalog()');
is($node->safe_psql('postgres', "SELECT status FROM safekeep.backup_catalog WHERE label = '$f1'"),
	'completed', 'sync_catalog does not mark it expired');

my $restored = $node->safe_psql('postgres',
	"SELECT safekeep.recover_full_database('$i2', '$tmp/sql_copy')");
like($restored, qr/\Q$i2\E/, 'recover_full_database of an intact backup works');
ok(-f "$tmp/sql_copy/PG_VERSION", 'into its directory');

my ($src, $sout, $serr) = $node->psql('postgres',
	"SELECT safekeep.recover_full_database('$f1', '$tmp/sql_f1')");
isnt($src, 0, 'recover_full_database of the damaged backup fails');
like($serr, qr/backup "\Q$f1\E" cannot be restored: its manifest is damaged/, 'saying why');
ok(!-e "$tmp/sql_f1", 'and creates nothing');

my $i3 = $node->safe_psql('postgres', 'SELECT safekeep.create_incremental_backup()');
like($i3, qr/^\Q$f2\E_\d{8}-\d{6}I$/, 'a new incremental backup builds on the intact chain');

# A failed full backup's directory, left without a manifest and newer than
# every full, must not keep the next incremental from finding a label.
my $leftover = POSIX::strftime('%Y%m%d-%H%M%SF', gmtime(time - 1));
mkdir "$repo/$stanza/backup/$leftover" or die "mkdir: $!";
my $i4 = $node->safe_psql('postgres', 'SELECT safekeep.create_incremental_backup()');
like($i4, qr/^\Q$f2\E_\d{8}-\d{6}I$/,
	'an incremental of the intact chain is taken past a leftover directory of a newer full');
ok(!grep({ $_->{label} eq $leftover } @{ tool_info($repo)->{backups} }),
	'the leftover directory is not a backup');

# Putting the manifest back makes the backup whole again.
copy("$tmp/manifest.orig", $manifest) or die "copy back: $!";
is(scalar(@{ tool_info($repo)->{damaged_backups} }), 0, 'a repaired manifest is no longer damaged');
is($node->safe_psql('postgres',
		"SELECT string_agg(problem || ' ' || object || ' ' || detail, E'\n') FROM safekeep.verify_backup('$f1')"),
	'', 'and verifies clean');

$node->stop;
done_testing();
