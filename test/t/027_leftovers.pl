# Leftovers (issue 15): directories without a manifest.json are swept from
# every repository at launcher start-up and before a backup takes its label,
# each reported in the server log and in backup_log; backups with a manifest,
# even a damaged one, are never touched.  Injected for real: a full backup
# whose job worker is SIGKILLed while its directory in repo1 is read-only (so
# neither the discard at restart nor a sweep can remove it there; repo2, an
# S3 server, keeps its copy too, since the discard only looks at repo1), and
# the state a crash between manifest removal and directory removal during
# expire leaves (physical and logical).
use strict;
use warnings;

use Digest::SHA;
use File::Copy;
use File::Find;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

my $s3dir = "$FindBin::RealBin/../s3";
plan skip_all => 's3rver is not installed (npm ci in test/s3)'
  unless -d "$s3dir/node_modules/s3rver";

my $tmp = PostgreSQL::Test::Utils::tempdir('leftovers');
my $tls = "$tmp/tls";
my $s3data = "$tmp/s3data";

# --- repo1 a directory, repo2 s3rver over TLS on loopback --------------------------
my ($s3, $url) = start_s3rver($tls, 0, $s3data);
secret_file($tmp, 'credentials',
	"[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n");

my ($node, $repo) = safekeep_node(
	'leftovers', conf => qq{
restart_after_crash = on
safekeep.expire_after_backup = off
safekeep.verify_after_backup = off
safekeep.drill_interval = 0
safekeep.repo2_type = 's3'
safekeep.repo2_s3_endpoint = '$url'
safekeep.repo2_s3_bucket = 'pgbackups'
safekeep.repo2_s3_prefix = 'cluster'
safekeep.repo2_s3_ca_file = '$tls/cert.pem'
safekeep.repo2_s3_credentials_file = '$tmp/credentials'
});
$node->command_ok([ 'pgbench', '-i', '-s', 10, '-q', 'postgres' ], 'pgbench -i -s 10');
my $stanza = $node->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
my $backups = "$repo/$stanza/backup";
my $s3backups = "$s3data/pgbackups/cluster/$stanza/backup";

# Every file under a directory with its sha256: "untouched" means equal.
sub tree_digest
{
	my ($dir) = @_;
	return join("\n", map { my $rel = substr($_, length $dir); "$rel " . Digest::SHA->new(256)->addfile($_)->hexdigest }
		  files_under($dir));
}
# repo2's objects of one backup (s3rver keeps each as <key>._S3rver_object).
sub s3_objects
{
	my ($label) = @_;
	my @objects;
	@objects = grep { /_S3rver_object$/ } files_under("$s3backups/$label")
	  if -d "$s3backups/$label";
	return @objects;
}
sub swept_count
{
	return $node->safe_psql('postgres', "SELECT count(*) FROM safekeep.backup_log WHERE event = 'swept'");
}
sub swept_rows
{
	return $node->safe_psql('postgres',
		"SELECT label || ' ' || backup_type || ' ' || message FROM safekeep.backup_log WHERE event = 'swept' ORDER BY id");
}

# f0: its manifest gets damaged (a problem for verify, not garbage);
# f1: becomes an expire orphan; f2: the chain the incremental builds on.
my $f0 = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
my $f1 = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
my $f2 = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
ok(-f "$backups/$f2/manifest.json" && scalar(s3_objects($f2)) > 0, "$f2 is in both repositories");

# --- (a) a failed full whose directory cannot be removed ---------------------------
$node->safe_psql('postgres', 'ALTER SYSTEM SET safekeep.compress_level = 15; SELECT pg_reload_conf()');
my $job = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup(wait => false)');
my ($f3, $pid);
for (my $i = 0; $i < 600; $i++)
{
	($f3, $pid) = split /\|/, $node->safe_psql('postgres', q{
SELECT c.label, a.pid FROM safekeep.backup_catalog c, pg_stat_activity a
WHERE c.status = 'running' AND a.backend_type = 'pg_safekeep job worker' LIMIT 1});
	last if $pid && -d "$backups/$f3/data" && files_under("$backups/$f3/data") > 5 && s3_objects($f3) > 5;
	$pid = undef;
	my $state = $node->safe_psql('postgres', "SELECT status FROM safekeep.jobs WHERE id = $job");
	die "backup job $job ended ($state) before its worker was caught" if $state =~ /succeeded|failed/;
	sleep 0.1;
}
die 'no running backup worker appeared' unless $pid;
# Frozen, so nothing it writes races the chmod; then killed.
ok(kill('STOP', $pid), "SIGSTOP to job worker $pid (backup $f3)");
my @dirs;
find({ wanted => sub { push @dirs, $File::Find::name if -d $_ }, no_chdir => 1 }, "$backups/$f3");
chmod 0555, @dirs;
ok(kill('KILL', $pid), "SIGKILL to job worker $pid");
$node->poll_query_until('postgres', 'SELECT true') or die 'server did not come back';
$node->poll_query_until('postgres',
	"SELECT status = 'failed' FROM safekeep.backup_catalog WHERE label = '$f3'")
  or die "backup_catalog never marked $f3 failed";
pass("the killed full backup $f3 is failed in the catalog");

# (c, S3) The start-up sweep after the crash removed repo2's copy; repo1's is read-only.
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM safekeep.backup_log WHERE event = 'swept' AND label = '$f3'")
  or die "no swept row for $f3";
like(swept_rows(), qr/^\Q$f3\E full removed leftover directory of backup \Q$f3\E from repo2 \(s3:\/\/[^)]*\/\Q$stanza\E\/backup\/\Q$f3\E\): it has no manifest\.json/m,
	'start-up sweep: backup_log names repo2 and the label');
is(scalar(s3_objects($f3)), 0, 'start-up sweep: repo2 holds nothing of it any more');
ok(-d "$backups/$f3/data" && files_under("$backups/$f3/data") > 0,
	'repo1 still holds the read-only leftover with its objects');
unlike(swept_rows(), qr/backup \Q$f3\E from repo1/, 'and no swept row claims repo1');
my $log = slurp_file($node->logfile);
like($log, qr/LOG:  pg_safekeep: removed leftover directory of backup \Q$f3\E from repo2/,
	'the server log has a LOG line for the removal');
like($log, qr/WARNING:  pg_safekeep: could not sweep every leftover: could not remove leftover "\Q$backups\/$f3\E": .*Permission denied/,
	'and a WARNING naming the repo1 directory it could not remove');

# --- (b) the next incremental sweeps it and succeeds --------------------------------
chmod 0750, @dirs;
copy("$backups/$f0/manifest.json", "$tmp/f0.manifest") or die "copy: $!";
truncate("$backups/$f0/manifest.json", int((-s "$backups/$f0/manifest.json") / 2)) or die "truncate: $!";
my %before = map { $_ => tree_digest("$backups/$_") } ($f0, $f1, $f2);
my %s3before = map { $_ => join(',', sort map { -s $_ } s3_objects($_)) } ($f0, $f1, $f2);
$node->safe_psql('postgres', 'ALTER SYSTEM SET safekeep.compress_level = 3; SELECT pg_reload_conf()');
my $n_swept = swept_count();
my $i1 = $node->safe_psql('postgres', 'SELECT safekeep.create_incremental_backup()');
like($i1, qr/^\Q$f2\E_\d{8}-\d{6}I$/, "an incremental of $f2 succeeds past the leftover ($i1)");
is(job_status_of($node, $i1), 'succeeded', 'its job succeeded');
ok(!-e "$backups/$f3", 'the leftover directory is gone from repo1');
like(swept_rows(), qr/^\Q$f3\E full removed leftover directory of backup \Q$f3\E from repo1 \(\Q$backups\/$f3\E\): it has no manifest\.json \(a failed or unfinished backup\)$/m,
	'backup_log says the backup job swept it from repo1');
is(swept_count(), $n_swept + 1, 'and nothing else was swept');
is(tree_digest("$backups/$_"), $before{$_}, "$_ is untouched in repo1") for ($f0, $f1, $f2);
is(join(',', sort map { -s $_ } s3_objects($_)), $s3before{$_}, "$_ is untouched in repo2") for ($f0, $f1, $f2);
ok(-f "$backups/$i1/manifest.json" && s3_objects($i1) > 0, 'the incremental is in both repositories');

# --- (c) crash-during-expire orphans, swept at start-up -----------------------------
my $l1 = $node->safe_psql('postgres', 'SELECT safekeep.create_logical_backup(schema_only => true)');
like($l1, qr/^\d{8}-\d{6}L$/, "a logical backup ($l1)");
$node->stop;
# What retention leaves when the process dies after removing the manifest:
# the expired note, no manifest, the data objects.
mkdir "$repo/$stanza/expired";
open my $nfh, '>', "$repo/$stanza/expired/$f1" or die $!;
print $nfh qq({"label":"$f1","expired_at":0,"reason":"test"});
close $nfh;
unlink("$backups/$f1/manifest.json") or die "unlink: $!";
unlink("$repo/$stanza/logical/$l1/manifest.json") or die "unlink: $!";
ok(files_under("$backups/$f1") > 0 && -f "$repo/$stanza/logical/$l1/dump.zst",
	'the orphans hold their objects but no manifest');
$node->start;
$node->poll_query_until('postgres',
	"SELECT count(*) = 2 FROM safekeep.backup_log WHERE event = 'swept' AND label IN ('$f1', '$l1')")
  or die 'the start-up sweep did not record both orphans';
my $rows = swept_rows();
like($rows, qr/^\Q$f1\E full removed leftover directory of backup \Q$f1\E from repo1 \(\Q$backups\/$f1\E\): retention had expired it; its removal was cut short$/m,
	'start-up sweep: the expire orphan, named as such');
like($rows, qr/^\Q$l1\E logical removed leftover directory of logical backup \Q$l1\E from repo1 /m,
	'start-up sweep: the logical orphan');
ok(!-e "$backups/$f1" && !-e "$repo/$stanza/logical/$l1", 'both directories are gone');
ok(-f "$repo/$stanza/expired/$f1", "retention's note stays");
is(scalar(s3_objects($f1)), scalar(split /,/, $s3before{$f1}),
	"repo2's copy of $f1 has its manifest and stays");
$log = slurp_file($node->logfile);
like($log, qr/LOG:  pg_safekeep: removed 2 leftover directories without a manifest/,
	'the server log counts them');
is(tree_digest("$backups/$_"), $before{$_}, "$_ is still untouched") for ($f0, $f2);
ok($node->poll_query_until('postgres',
		"SELECT status = 'expired' FROM safekeep.backup_catalog WHERE label = '$f1'"),
	'the catalog calls the orphaned backup expired (sync_catalog reads the note)');

# The complete backups verify and restore; the damaged one is reported, not removed.
is($node->safe_psql('postgres', "SELECT count(*) FROM safekeep.verify_backup('$_')"), '0',
	"verify_backup('$_') finds no problem") for ($f2, $i1);
like($node->safe_psql('postgres', "SELECT problem FROM safekeep.verify_backup('$f0')"),
	qr/^manifest$/, "the damaged manifest of $f0 is a verify problem");
copy("$tmp/f0.manifest", "$backups/$f0/manifest.json") or die "copy back: $!";
is($node->safe_psql('postgres', "SELECT count(*) FROM safekeep.verify_backup('$f0')"), '0',
	"$f0, its manifest put back, verifies clean: the sweep left it whole");
my ($rc, $out, $err) = run_tool('restore', "--repo1-path=$repo", "--stanza=$stanza",
	"--pgdata=$tmp/restored", "--set=$i1");
is($rc, 0, "the incremental $i1 restores") or diag($err);
ok(-f "$tmp/restored/PG_VERSION", 'into its directory');

# A completed backup whose manifest someone moved away (no retention note) is
# a missing backup for the DBA to look into, not garbage: no sweep removes it.
rename("$backups/$i1/manifest.json", "$tmp/i1.manifest") or die "rename: $!";
my $i1_files = files_under("$backups/$i1");
$node->restart;
$node->poll_query_until('postgres',
	"SELECT status = 'missing' FROM safekeep.backup_catalog WHERE label = '$i1'")
  or die 'the moved-away backup did not become missing';
is(scalar(files_under("$backups/$i1")), $i1_files,
	'start-up sweep keeps the objects of a completed backup whose manifest was moved away');
is($node->safe_psql('postgres', "SELECT count(*) FROM safekeep.backup_log WHERE event = 'swept' AND label = '$i1'"),
	'0', 'and records no sweep of it');
rename("$tmp/i1.manifest", "$backups/$i1/manifest.json") or die "rename back: $!";
$node->safe_psql('postgres', 'SELECT safekeep.sync_catalog()');
is($node->safe_psql('postgres', "SELECT count(*) FROM safekeep.verify_backup('$i1')"), '0',
	'with its manifest back it verifies clean');

$node->stop;
$s3->kill_kill;
done_testing();
