# WAL archiving through the archive module: objects land in the repository
# under their sha256, archive-get returns the original bytes (exit 1 when the
# repository lacks a file, 200 when its object is corrupt), pushing the same
# segment again succeeds, and different content under an archived name is
# refused without touching the stored object.
use strict;
use warnings;

use Digest::SHA;
use File::Compare;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

# wal_keep_size keeps archived segments in pg_wal so they can be re-queued.
my ($node, $repo) = safekeep_node('primary', conf => "wal_keep_size = '1GB'\n");
my $pgdata = $node->data_dir;
my $tmp = PostgreSQL::Test::Utils::tempdir();

$node->safe_psql('postgres',
	'CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g');
my $seg = switch_and_wait($node);
my $orig = "$tmp/$seg.orig";
copy("$pgdata/pg_wal/$seg", $orig) or die "copy $seg: $!";

# --- layout and checksum ------------------------------------------------------
my @objects = archived_objects($repo, $seg);
is(scalar @objects, 1, "one repository object for $seg");
my $object = $objects[0];
my ($sha) = $object =~ m{/\Q$seg\E-([0-9a-f]{64})\.zst[^/]*$};
ok(defined $sha, "object name is <segment>-<sha256>.zst ($object)");
is($sha, Digest::SHA->new(256)->addfile($orig, 'b')->hexdigest,
	'the name carries the sha256 of the original segment');
my $object_copy = "$tmp/object.copy";
copy($object, $object_copy) or die "copy $object: $!";

is( $node->safe_psql(
		'postgres', qq{
SELECT count(*), bool_and(file_size > 0), bool_and(archive_path <> '')
FROM safekeep.wal_archive_catalog WHERE wal_file = '$seg'}),
	'1|t|t',
	'wal_archive_catalog lists the segment');

# --- archive-get ----------------------------------------------------------------
my ($rc, $out, $err) = run_tool('archive-get', $seg, "$tmp/fetched", "--repo1-path=$repo");
is($rc, 0, 'archive-get of an archived segment exits 0');
is(compare("$tmp/fetched", $orig), 0, 'and returns exactly the original bytes');

($rc, $out, $err) =
  run_tool('archive-get', '00000001000000FF000000FE', "$tmp/missing", "--repo1-path=$repo");
is($rc, 1, 'archive-get of a segment the repository lacks exits 1');
is(scalar(split /\n/, $err), 1, 'with one line on stderr');
ok(!-e "$tmp/missing", 'and creates no file');

flip_bytes($object);
($rc, $out, $err) = run_tool('archive-get', $seg, "$tmp/corrupt", "--repo1-path=$repo");
is($rc, 200, 'archive-get of a corrupt object exits 200 (fatal for recovery)');
like($err, qr/^pg_safekeep: error: /, 'with an error message');
copy($object_copy, $object) or die "restore $object: $!";

# --- idempotency: the archiver pushes the same segment again -------------------
my $status = "$pgdata/pg_wal/archive_status";
my $failed_before =
  $node->safe_psql('postgres', 'SELECT failed_count FROM pg_stat_archiver');

rename("$status/$seg.done", "$status/$seg.ready") or die "requeue $seg: $!";
my $next = switch_and_wait($node);    # archived after $seg, so $seg went first
ok(-f "$status/$seg.done", 'pushing an already archived segment again succeeds');
is($node->safe_psql('postgres', 'SELECT failed_count FROM pg_stat_archiver'),
	$failed_before, 'without an archiver failure');
is_deeply([ archived_objects($repo, $seg) ], [$object], 'and still one object');
is(compare($object, $object_copy), 0, 'which is unchanged');

# --- refusal: different content under an archived name --------------------------
flip_bytes("$pgdata/pg_wal/$seg");
rename("$status/$seg.done", "$status/$seg.ready") or die "requeue $seg: $!";
$node->safe_psql('postgres', 'SELECT txid_current(); SELECT pg_switch_wal()');
$node->poll_query_until('postgres',
	"SELECT failed_count > $failed_before AND last_failed_wal = '$seg' FROM pg_stat_archiver")
  or die 'the archiver never tried the altered segment';
pass('a segment whose content differs from the archived one is refused');
ok(-f "$status/$seg.ready", 'it stays queued (PostgreSQL keeps it)');
is_deeply([ archived_objects($repo, $seg) ], [$object], 'no second object is written');
is(compare($object, $object_copy), 0, 'the archived object is not overwritten');

is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_stat_activity WHERE backend_type = \'archiver\''),
	'1', 'the archiver is still running');

# Put the original bytes back: archiving resumes where it stopped.
copy($orig, "$pgdata/pg_wal/$seg") or die "restore $seg: $!";
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
my $later = switch_and_wait($node);
ok(-f "$status/$seg.done", 'with the original content back the segment archives again');
is(scalar(archived_objects($repo, $later)), 1, 'and later segments are archived too');

# --- .backup and .history files ---------------------------------------------------
my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
switch_and_wait($node);
ok(scalar(grep { /\.backup-/ } glob("$repo/*/archive/*/*")),
	"the backup history file of $label is archived");

$node->stop;
done_testing();
