# "Verified" means "restores": verification reads every object a restore
# reads (earlier backups of the chain included) and every WAL file in its
# range, on a posix repository and on an encrypted S3 one. Faults injected:
# a flipped byte in the full backup an incremental reads from, a flipped byte
# in archived WAL after the backup, a segment archived under the wrong name,
# and a second copy of a segment beside the real one (archive-get and PITR
# must still use the real one).
use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use File::Copy;
use FindBin;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my $s3dir = "$FindBin::RealBin/../s3";
plan skip_all => 's3rver is not installed (npm ci in test/s3)'
  unless -d "$s3dir/node_modules/s3rver";

my $tmp = PostgreSQL::Test::Utils::tempdir('verify');
my $tls = "$tmp/tls";
my $data = "$tmp/s3data";

my ($s3, $url) = start_s3rver($tls, 0, $data);

my $creds = secret_file($tmp, 'credentials',
	"[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n");
my $pass = secret_file($tmp, 'pass', "verify what restores\n");
my $repo2 = encrypted_s3_repo($url, $tls, $creds);
my $conf = repo_conf(2, $repo2);
my ($node, $repo) = safekeep_node('verify',
	conf => $conf
	  . "safekeep.repo2_cipher_passphrase_file = '$pass'\n"
	  . "safekeep.retention_full = 0\n");

# A table of many pages; the incremental changes a few, so it reads the rest
# from the full backup.
$node->safe_psql('postgres',
	"CREATE TABLE t AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g");
# Hint bits set now (with checksums they rewrite every page), not after the full.
$node->safe_psql('postgres', 'VACUUM (FREEZE) t');
my $f = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
$node->safe_psql('postgres', "UPDATE t SET pad = 'y' WHERE g <= 20");
my $i = $node->safe_psql('postgres', 'SELECT safekeep.create_incremental_backup()');
like($i, qr/^\Q$f\E_\d{8}-\d{6}I$/, 'an incremental on the full backup');
my $relpath = $node->safe_psql('postgres', "SELECT pg_relation_filepath('t')");
my $stanza = $node->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');

# WAL after the incremental: three closed segments, then one more row.
my @after;
for my $n (1 .. 3)
{
	$node->safe_psql('postgres', "INSERT INTO t VALUES (100000 + $n, 'after')");
	push @after, switch_and_wait($node);
}
$node->safe_psql('postgres', "INSERT INTO t VALUES (200000, 'last')");
my $last_seg = switch_and_wait($node);
my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM t');

my @repo1 = ("--repo1-path=$repo", "--stanza=$stanza");
my @repo2 = (repo_tool_options(2, $repo2),
	"--repo2-cipher-passphrase-file=$pass", '--repo=2', "--stanza=$stanza");

# The incremental's manifest takes pages of t from the full backup.
my ($i_dir) = backup_dirs($repo, $i);
my $manifest = decode_json(slurp_file("$i_dir/manifest.json"));
my ($entry) = grep { $_->{path} eq $relpath } @{ $manifest->{files} };
ok($entry, "the incremental's manifest lists $relpath");
like(encode_json($entry), qr/\Q$f\E/, 'and reads part of it from the full backup')
  or diag(encode_json($entry));

my ($f_dir) = backup_dirs($repo, $f);
my $f_object = "$f_dir/data/$relpath.zst";
my $f_rel = "backup/$f/data/$relpath.zst";
ok(-f $f_object, "the full backup stores $relpath");

# Every file and its size: a verification changes nothing in the repository.
sub repo_state
{
	return join("\n", map { $_ . ' ' . (-s $_) } files_under($repo));
}

sub sql_problems
{
	my ($sql) = @_;
	return $node->safe_psql('postgres',
		"SELECT string_agg(label || ' ' || problem || ' ' || object, E'\\n' ORDER BY label, problem, object) FROM $sql"
	);
}

sub catalog_verify
{
	my ($label) = @_;
	return $node->safe_psql('postgres',
		"SELECT verify_status FROM safekeep.backup_catalog WHERE label = '$label'");
}

# ---- a clean start ----------------------------------------------------------------
my ($rc, $out, $err) = run_tool('verify', @repo1, "--set=$i", '--wal-to-newest');
is($rc, 0, 'the intact chain and its WAL verify clean (posix)') or diag($out . $err);
($rc, $out, $err) = run_tool('verify', @repo2, "--set=$i", '--wal-to-newest');
is($rc, 0, 'and on the encrypted S3 repository') or diag($out . $err);
is(sql_problems("safekeep.verify_backup('$i', wal_to_newest => true)"), '',
	'verify_backup of the incremental: no rows');
my $before = repo_state();

# ---- 1. a flipped byte in an object of the full that the incremental reads --------
flip_bytes($f_object);
($rc, $out, $err) = run_tool('verify', @repo1, "--set=$i");
is($rc, 1, 'verify --set=<incremental> fails after a byte of the full backup flipped');
like($out, qr/\Q$i\E.*corrupt_object.*\Q$f_rel\E|\Q$f_rel\E.*\Q$i\E/s,
	'naming the incremental and the full backup object that is bad');
my $rows_i = sql_problems("safekeep.verify_backup('$i')");
like($rows_i, qr/^\Q$i corrupt_object $f_rel\E$/m,
	'verify_backup(incremental) returns the bad object of the full backup as a row');
is(catalog_verify($i), 'failed', 'the incremental is marked failed');
is(catalog_verify($f), 'failed', 'and so is the full backup that holds the object');
my $detail = $node->safe_psql('postgres',
	"SELECT p->>'detail' FROM safekeep.backup_catalog c, jsonb_array_elements(c.verify_problems) p WHERE c.label = '$i'"
);
like($detail, qr/read from backup \Q$f\E/, 'the detail says the object is read from the full backup');
is( $node->safe_psql(
		'postgres',
		"SELECT health_status || ' ' || (details->'failed_verification')::text FROM safekeep.check_backup_health()"
	),
	qq{verify_failed ["$f", "$i"]},
	'check_backup_health: verify_failed, naming both backups');

($rc, $out, $err) = run_tool('restore', @repo1, "--pgdata=$tmp/broken", "--set=$i");
isnt($rc, 0, 'and indeed the incremental does not restore');
ok(!-e "$tmp/broken", 'the failed restore leaves nothing behind');

# Asked about the full backup alone, the incremental's row comes too.
like(sql_problems("safekeep.verify_backup('$f')"),
	qr/^\Q$f corrupt_object $f_rel\E\n\Q$i corrupt_object $f_rel\E$/m,
	'verify_backup(full) also returns the row of the incremental that reads it');
is(repo_state(), $before, 'verification changed nothing in the repository');

flip_bytes($f_object);    # the complement again: the original bytes
is(sql_problems("safekeep.verify_backup()"), '', 'repaired: every backup verifies clean');
is(catalog_verify($i) . ' ' . catalog_verify($f), 'ok ok', 'and both are ok again');
isnt($node->safe_psql('postgres', 'SELECT health_status FROM safekeep.check_backup_health()'),
	'verify_failed', 'health no longer says verify_failed');

# ---- 2a. a flipped byte in archived WAL after the backup ---------------------------
my ($wal2) = archived_objects($repo, $after[1]);
ok($wal2, "segment $after[1] is archived");
flip_bytes($wal2);
($rc, $out, $err) = run_tool('verify', @repo1, "--set=$i");
is($rc, 0, 'the flipped segment is past the backup: without --wal-to-newest it passes')
  or diag($out . $err);
($rc, $out, $err) = run_tool('verify', @repo1, "--set=$i", '--wal-to-newest');
is($rc, 1, 'with --wal-to-newest the flipped segment fails verification');
like($out, qr/corrupt_wal.*\Q$after[1]\E/, 'naming the segment');
like(sql_problems("safekeep.verify_backup('$i', wal_to_newest => true)"),
	qr/^\Q$i\E corrupt_wal archive\/[0-9A-F]{16}\/\Q$after[1]\E-[0-9a-f]{64}\.zst$/m,
	'verify_backup(wal_to_newest) returns it as a corrupt_wal row');
($rc, $out, $err) = run_tool('archive-get', $after[1], "$tmp/got_flipped", @repo1);
isnt($rc, 0, 'archive-get refuses the flipped segment');
like($err, qr/\Q$after[1]\E.*corrupt/, 'saying it is corrupt');
ok(!-e "$tmp/got_flipped", 'and writes nothing');
flip_bytes($wal2);

# ---- 2b. a segment archived under another segment's name ---------------------------
my ($wal3) = archived_objects($repo, $after[2]);
my ($sha2) = $wal2 =~ /-([0-9a-f]{64})\.zst$/;
my $misnamed = substr($wal3, 0, rindex($wal3, '/') + 1) . "$after[2]-$sha2.zst";
move($wal3, "$tmp/real_wal3") or die "move: $!";
copy($wal2, $misnamed) or die "copy: $!";
($rc, $out, $err) = run_tool('verify', @repo1, "--set=$i", '--wal-to-newest');
is($rc, 1, 'a segment stored under the next segment\'s name fails verification');
like($out, qr/\Q$after[2]\E.*not at the start of the segment its name says/,
	'its page header does not match its name');
($rc, $out, $err) = run_tool('archive-get', $after[2], "$tmp/got_misnamed", @repo1);
isnt($rc, 0, 'archive-get refuses it (recovery would stop there as if the archive ended)');
like($err, qr/not at the start of the segment its name says/, 'saying why');
unlink $misnamed or die "unlink: $!";
move("$tmp/real_wal3", $wal3) or die "move back: $!";

# ---- 2c. a second copy of a segment, sorting before the real one -------------------
my ($wal1) = archived_objects($repo, $after[0]);
my ($sha1) = $wal1 =~ /-([0-9a-f]{64})\.zst$/;
my $fake = substr($wal1, 0, rindex($wal1, '/') + 1) . "$after[0]-" . ('0' x 64) . '.zst';
copy($wal2, $fake) or die "copy: $!";
($rc, $out, $err) = run_tool('verify', @repo1, "--set=$i", '--wal-to-newest');
is($rc, 1, 'a duplicate object for one segment fails verification');
like($out, qr/duplicate_wal.*\Q$after[0]\E/, 'as a duplicate_wal problem');
like($out, qr/corrupt_wal.*\Q$after[0]-00000000\E/, 'and the copy that does not check out is named');
like(sql_problems("safekeep.verify_backup('$i', wal_to_newest => true)"),
	qr/^\Q$i\E duplicate_wal archive\/.*\Q$after[0]\E/m, 'verify_backup returns the duplicate');
($rc, $out, $err) = run_tool('archive-get', $after[0], "$tmp/got_dup", @repo1);
is($rc, 0, 'archive-get serves the segment despite the fake beside it') or diag($err);
is(sha256_hex(slurp_file("$tmp/got_dup")), $sha1, 'and serves the real one');

# Point-in-time recovery to the end of the archive replays through it.
my $pitr = PostgreSQL::Test::Cluster->new('pitr');
($rc, $out, $err) = run_tool('restore', @repo1, '--pgdata=' . $pitr->data_dir, "--set=$i");
is($rc, 0, 'restore of the incremental with the duplicate in the archive') or diag($err);
wait_promoted($pitr);
is($pitr->safe_psql('postgres', 'SELECT count(*) FROM t'), $rows,
	'the restored copy replayed every archived segment: all rows are there');
is($pitr->safe_psql('postgres', "SELECT pad FROM t WHERE g = 200000"), 'last',
	'including the last one');
$pitr->stop;
unlink $fake or die "unlink: $!";
is(repo_state(), $before, 'the posix repository is as before the faults');

# ---- the encrypted S3 repository ---------------------------------------------------
my @bucket = files_under("$data/pgbackups");
my ($s3_object) = grep { m{/backup/\Q$f\E/data/\Q$relpath\E\.zst\._S3rver_object$} } @bucket;
ok($s3_object, 'the bucket holds the full backup\'s object of t');
flip_bytes($s3_object);
($rc, $out, $err) = run_tool('verify', @repo2, "--set=$i");
is($rc, 1, 'S3, encrypted: the incremental fails after a byte of the full backup flipped');
like($out, qr/\Q$i\E.*\Q$f_rel\E.*authentication failed|\Q$f_rel\E.*\Q$i\E/s,
	'naming the incremental and the full backup object');
flip_bytes($s3_object);
my ($s3_wal) = grep { m{/archive/[0-9A-F]{16}/\Q$after[1]\E-[0-9a-f]{64}\.zst\._S3rver_object$} } @bucket;
ok($s3_wal, "the bucket holds segment $after[1]");
flip_bytes($s3_wal);
($rc, $out, $err) = run_tool('verify', @repo2, "--set=$i", '--wal-to-newest');
is($rc, 1, 'S3, encrypted: a flipped WAL object fails --wal-to-newest');
like($out, qr/corrupt_wal.*\Q$after[1]\E/, 'naming the segment');
flip_bytes($s3_wal);
($rc, $out, $err) = run_tool('verify', @repo2, '--wal-to-newest');
is($rc, 0, 'S3, repaired: every backup verifies clean') or diag($out . $err);

$node->stop;
$s3->signal('TERM');
$s3->finish;
done_testing();
