# Block-level incremental and differential backups: a contiguous 1% update of
# pgbench_accounts costs a small fraction of a full backup; each backup of the
# chain restores to its end, and to points in time between backups, with the
# data exactly as it was in the source; verify finds nothing wrong in an intact
# repository, and names a flipped object, a missing object, a missing WAL
# segment and a broken chain; a restore that needs a corrupt object fails
# naming it while one that does not still works.
use strict;
use warnings;

use File::Copy;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;
use Time::HiRes qw(sleep);

# Retention after each backup stays on with its defaults (retention_days = 7
# keeps every backup of this test); verification after each backup is on too.
my ($node, $repo) = safekeep_node('primary');
my $tmp = PostgreSQL::Test::Utils::tempdir();

$node->command_ok([ 'pgbench', '-i', '-s', 10, '-q', 'postgres' ], 'pgbench -i -s 10');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgbench_accounts'),
	'1000000', 'pgbench_accounts holds 1M rows');
my $relpath = $node->safe_psql('postgres', "SELECT pg_relation_filepath('pgbench_accounts')");
my $rel_blocks =
  $node->safe_psql('postgres', "SELECT pg_relation_size('pgbench_accounts') / 8192");

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

# Waits for the verification (and retention) the launcher runs after backup
# $label; returns its verify_status.
sub verified_after_backup
{
	my ($label) = @_;
	wait_jobs_idle($node);
	return q1("SELECT verify_status FROM safekeep.backup_catalog WHERE label = '$label'");
}

sub catalog_row
{
	my ($label) = @_;
	return q1(
		"SELECT backup_type, coalesce(prior_label, '-'), status FROM safekeep.backup_catalog WHERE label = '$label'"
	);
}

sub manifest_of
{
	my ($label) = @_;
	my ($dir) = backup_dirs($repo, $label);
	open my $fh, '<', "$dir/manifest.json" or die "open manifest of $label: $!";
	local $/;
	my $m = decode_json(<$fh>);
	close $fh;
	return $m;
}

sub manifest_file
{
	my ($m, $path) = @_;
	my @f = grep { $_->{path} eq $path } @{ $m->{files} };
	return $f[0];
}

# Restores with the tool into a new node, starts it and waits for promotion.
my %copies;
sub restore_node
{
	my ($name, @opts) = @_;
	my $copy = PostgreSQL::Test::Cluster->new($name);
	my ($rc, $out, $err) =
	  run_tool('restore', "--repo1-path=$repo", '--pgdata=' . $copy->data_dir, @opts);
	is($rc, 0, "$name: pg_safekeep restore @opts succeeds") or diag($err);
	wait_promoted($copy);
	$copies{$name} = $copy;
	return ($copy, $out);
}

# --- the full backup ----------------------------------------------------------
my $at_full = data_fingerprint($node);
my $full = q1('SELECT safekeep.create_full_backup()');
like($full, qr/^\d{8}-\d{6}F$/, "full backup $full");
is(catalog_row($full), 'full|-|completed', 'catalog: full, no prior, completed');
is(verified_after_backup($full), 'ok', 'the launcher verified the full backup: ok');

# --- a contiguous 1% update, T, another change, the incremental -------------------
# Backup end times are kept in whole seconds, rounded up: T1 must come later.
sleep 1.1;
q1('UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN 1 AND 10000');
# Heap pages now holding the new row versions: the incremental must store them.
my $new_pages = q1(
	"SELECT count(DISTINCT (ctid::text::point)[0]) FROM pgbench_accounts WHERE aid BETWEEN 1 AND 10000"
);
my $T1 = q1('SELECT now()');
my $at_T1 = data_fingerprint($node);
isnt($at_T1, $at_full, 'the 1% update changed the data');
sleep 1.1;
q1( q{UPDATE pgbench_accounts SET abalance = abalance - 5 WHERE aid BETWEEN 10001 AND 10100;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 10001, -5, now());});
my $at_incr1 = data_fingerprint($node);
isnt($at_incr1, $at_T1, 'the data changed after T1');

my $incr1 = q1('SELECT safekeep.create_incremental_backup()');
like($incr1, qr/^\Q$full\E_\d{8}-\d{6}I$/, "incremental backup $incr1 is named after its full");
is(catalog_row($incr1), "incremental|$full|completed",
	'catalog: incremental, prior = the full, completed');
is(verified_after_backup($incr1), 'ok', 'the launcher verified the incremental: ok');

my ($full_size, $full_copied, $full_db) =
  split /\|/, q1("SELECT backup_size, copied_bytes, database_size FROM safekeep.backup_catalog WHERE label = '$full'");
my ($incr_size, $incr_copied, $incr_db) =
  split /\|/, q1("SELECT backup_size, copied_bytes, database_size FROM safekeep.backup_catalog WHERE label = '$incr1'");
note(sprintf('full: %d stored, %d copied; incremental: %d stored (%.2f%%), %d copied (%.2f%%)',
		$full_size, $full_copied, $incr_size, 100 * $incr_size / $full_size,
		$incr_copied, 100 * $incr_copied / $full_copied));
ok($incr_size > 0 && $incr_size * 10 < $full_size,
	"the incremental stores < 10% of the full's bytes ($incr_size of $full_size)");
ok($incr_copied > 0 && $incr_copied * 10 < $full_copied,
	"the incremental copied < 10% of the full's bytes ($incr_copied of $full_copied)");
ok($incr_db >= $full_db * 0.9,
	"the incremental still describes the whole database ($incr_db bytes, full $full_db)");

# The accounts heap is block mapped: this backup holds only a few of its pages,
# at least every page the new row versions went to; the rest are the full's.
my $m_incr1 = manifest_of($incr1);
my $acc = manifest_file($m_incr1, $relpath);
ok($acc && $acc->{blocks} && @{ $acc->{blocks} }, "$relpath is block mapped in the incremental");
my ($own_pages, $full_pages, $mapped) = (0, 0, 0);
for my $run (@{ $acc->{blocks} // [] })
{
	my ($start, $count, $holder) = @$run;
	$mapped += $count;
	$own_pages += $count if $holder eq $incr1;
	$full_pages += $count if $holder eq $full;
}
note("$relpath: $own_pages of $mapped pages stored by $incr1, $full_pages in $full; "
	  . "$new_pages pages hold the new row versions");
is($mapped, int(($acc->{size} + 8191) / 8192), 'the block map covers the whole file');
ok($own_pages >= $new_pages, "the incremental stores every page with new row versions ($own_pages >= $new_pages)");
ok($own_pages * 20 < $mapped, "and under 5% of the file's pages ($own_pages of $mapped)");
is($own_pages + $full_pages, $mapped, 'every other page comes from the full backup');
is($acc->{object_size}, $own_pages * 8192, 'the object holds exactly the stored pages');

# --- restore the incremental to its end, and the point T1 between the backups ---
my ($copy, $out) = restore_node('restored_incr1', "--set=$incr1", '--target=immediate');
is(data_fingerprint($copy), $at_incr1, 'incremental restored to its end: data equals the source then');
$copy->stop;

($copy, $out) = restore_node('restored_t1', "--target-time=$T1");
like($out, qr/\Q$full\E/, 'the restore to T1 starts from the full backup');
unlike($out, qr/\Q$incr1\E/, 'not from the incremental, which ended after T1');
is(data_fingerprint($copy), $at_T1, 'restore to T1: data equals the source at T1');
$copy->stop;

# --- two more incrementals with small changes, then a differential ---------------
q1('UPDATE pgbench_accounts SET abalance = abalance + 3 WHERE aid BETWEEN 500001 AND 502000');
my $incr2 = q1('SELECT safekeep.create_incremental_backup()');
like($incr2, qr/^\Q$full\E_\d{8}-\d{6}I$/, "second incremental $incr2");
is(catalog_row($incr2), "incremental|$incr1|completed", 'its prior is the first incremental');
is(verified_after_backup($incr2), 'ok', 'the launcher verified it: ok');

q1( q{UPDATE pgbench_branches SET bbalance = bbalance + 11 WHERE bid = 3;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (2, 3, 7, 11, now());});
my $incr3 = q1('SELECT safekeep.create_incremental_backup()');
like($incr3, qr/^\Q$full\E_\d{8}-\d{6}I$/, "third incremental $incr3");
is(catalog_row($incr3), "incremental|$incr2|completed", 'its prior is the second incremental');
is(verified_after_backup($incr3), 'ok', 'the launcher verified it: ok');

sleep 1.1;
my $T2 = q1('SELECT now()');
my $at_T2 = data_fingerprint($node);
sleep 1.1;
q1('UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN 900001 AND 901000');
my $at_diff = data_fingerprint($node);
isnt($at_diff, $at_T2, 'the data changed after T2');

my $diff = q1('SELECT safekeep.create_differential_backup()');
like($diff, qr/^\Q$full\E_\d{8}-\d{6}D$/, "differential backup $diff is named after its full");
is(catalog_row($diff), "differential|$full|completed", 'its prior is the full, not the incrementals');
is(verified_after_backup($diff), 'ok', 'the launcher verified it: ok');

my ($diff_size, $diff_copied) =
  split /\|/, q1("SELECT backup_size, copied_bytes FROM safekeep.backup_catalog WHERE label = '$diff'");
note("differential: $diff_size stored, $diff_copied copied");
ok($diff_copied * 10 < $full_copied, "the differential copied < 10% of the full's bytes");
ok($diff_copied >= $incr_copied,
	"it holds at least what the first incremental did ($diff_copied >= $incr_copied)");

my %info = map { $_->{label} => $_ } @{ tool_info($repo)->{backups} };
is_deeply([ sort keys %info ], [ sort $full, $incr1, $incr2, $incr3, $diff ],
	'pg_safekeep info lists the five backups');
is_deeply($info{$diff}{depends_on}, [$full], 'the differential reads from the full backup only');
ok((grep { $_ eq $incr1 } @{ $info{$incr2}{depends_on} }),
	'the second incremental reads from the first');
ok((grep { $_ eq $incr1 } @{ $info{$incr3}{depends_on} }),
	'the third incremental reads from the first');
is($info{$incr1}{prior}, $full, 'info: prior of the first incremental');
is($info{$diff}{type}, 'differential', 'info: type of the differential');
is($info{$incr1}{stored_bytes}, $incr_size, 'info: stored bytes agree with backup_catalog');

# --- restore the chains to points in time: T2 from the third incremental, and T3
# after the differential (the backup the tool picks for T3)
sleep 1.1;
my $T3 = q1('SELECT now()');
my $at_T3 = data_fingerprint($node);
q1('UPDATE pgbench_tellers SET tbalance = tbalance + 1');
isnt(data_fingerprint($node), $at_T3, 'the data changed after T3');
switch_and_wait($node);

($copy, $out) = restore_node('restored_t2', "--set=$incr3", "--target-time=$T2");
is(data_fingerprint($copy), $at_T2,
	'full + three incrementals restored to T2: data equals the source at T2');
$copy->stop;

($copy, $out) = restore_node('restored_t3', "--target-time=$T3");
like($out, qr/\Q$diff\E/, 'the restore to T3 starts from the differential');
is(data_fingerprint($copy), $at_T3, 'full + differential restored to T3: data equals the source at T3');
$copy->stop;

# --- verification of the intact repository ----------------------------------------
is(q1('SELECT count(*) FROM safekeep.verify_backup()'), '0', 'verify_backup(): no problems');
is(q1(
		"SELECT string_agg(label || '=' || verify_status, ',' ORDER BY label) FROM safekeep.backup_catalog WHERE verified_at IS NOT NULL"
	),
	join(',', map { "$_=ok" } sort $full, $incr1, $incr2, $incr3, $diff),
	'backup_catalog: every backup verified ok');
is(q1("SELECT count(*) FROM safekeep.verify_backup('$incr3', wal_to_newest => true)"),
	'0', 'verify_backup(third incremental, wal_to_newest): no problems');
my ($rc, $err);
($rc, $out, $err) = run_tool('verify', "--repo1-path=$repo", '--output=json');
is($rc, 0, 'pg_safekeep verify exits 0');
is_deeply(decode_json($out), [], 'and reports no problems');

my ($stdout, $stderr) = ('', '');
my $ok = $node->psql('postgres', "SELECT * FROM safekeep.verify_backup('20000101-000000F')",
	stdout => \$stdout, stderr => \$stderr);
isnt($ok, 0, 'verify_backup of an unknown label fails');
like($stderr, qr/backup "20000101-000000F" does not exist/, 'naming the label');

# --- one corrupt object in the first incremental -------------------------------
my $victim_rel = "backup/$incr1/data/$relpath.zst";
my ($victim) = grep { -f $_ } glob("$repo/*/$victim_rel");
ok($victim, "the first incremental has an object for $relpath");
copy($victim, "$tmp/victim.orig") or die "copy $victim: $!";
flip_bytes($victim, 32);

my $problems = q1(
	"SELECT string_agg(problem || ' ' || object, E'\\n') FROM safekeep.verify_backup('$incr1')");
like($problems, qr/^corrupt_object \S*\Q$victim_rel\E$/m,
	'verify_backup names the corrupt object');
is(q1("SELECT verify_status || ' ' || jsonb_array_length(verify_problems) FROM safekeep.backup_catalog WHERE label = '$incr1'"),
	'failed 1', 'backup_catalog: the first incremental failed verification with one problem');
is(q1("SELECT count(*) FROM safekeep.verify_backup('$diff')"), '0',
	'the differential, which does not read from it, still verifies clean');

($rc, $out, $err) = run_tool('verify', "--repo1-path=$repo", "--set=$incr1", '--output=json');
is($rc, 1, 'pg_safekeep verify --set=<first incremental> exits 1');
my @found = grep { $_->{object} =~ /\Q$victim_rel\E$/ } @{ decode_json($out) };
is(scalar(grep { $_->{label} eq $incr1 } @found), 1, 'and lists the corrupt object');
is($found[0]{kind}, 'corrupt_object', 'as corrupt_object');
ok(grep({ $_->{label} eq $incr2 } @found),
	'also as a problem of the second incremental, which reads it');

my $broken = PostgreSQL::Test::Cluster->new('restored_broken');
($rc, $out, $err) =
  run_tool('restore', "--repo1-path=$repo", '--pgdata=' . $broken->data_dir, "--set=$incr2",
	'--target=immediate');
is($rc, 1, 'restoring the second incremental, which needs the corrupt object, fails');
like($err, qr/^pg_safekeep: error: .*\Q$relpath\E/m, "the error names the file ($relpath)");

($copy, $out) = restore_node('restored_diff', "--set=$diff", '--target=immediate');
is(data_fingerprint($copy), $at_diff,
	'the differential restored to its end (despite the corrupt incremental): data equals the source then'
);
is($copy->safe_psql('postgres', 'SELECT count(*) FROM pgbench_accounts'),
	'1000000', 'with every account');
$copy->stop;

copy("$tmp/victim.orig", $victim) or die "put back $victim: $!";
is(q1("SELECT count(*) FROM safekeep.verify_backup('$incr1')"), '0',
	'with the object put back the first incremental verifies clean again');
is(q1("SELECT verify_status FROM safekeep.backup_catalog WHERE label = '$incr1'"),
	'ok', 'and backup_catalog says ok');

# --- from the repository alone: a missing object, a missing WAL segment, a broken chain
$node->stop;

sub cli_problems
{
	my ($set) = @_;
	my ($rc, $out, $err) = run_tool('verify', "--repo1-path=$repo", "--set=$set", '--output=json');
	return ($rc, $rc == 2 ? [] : decode_json($out));
}

my $missing_rel = "backup/$diff/data/$relpath.zst";
my ($missing) = grep { -f $_ } glob("$repo/*/$missing_rel");
ok($missing, "the differential has an object for $relpath");
move($missing, "$tmp/missing.orig") or die "move $missing: $!";
my ($vrc, $list) = cli_problems($diff);
is($vrc, 1, 'verify with a missing object exits 1');
ok((grep { $_->{kind} eq 'missing_object' && $_->{object} =~ /\Q$missing_rel\E$/ } @$list),
	'and names the missing object');
move("$tmp/missing.orig", $missing) or die "put back $missing: $!";

my $wal_seg = $info{$full}{stop_wal};
my ($wal_obj) = archived_objects($repo, $wal_seg);
ok($wal_obj, "WAL segment $wal_seg of the full backup is archived");
move($wal_obj, "$tmp/wal.orig") or die "move $wal_obj: $!";
($vrc, $list) = cli_problems($full);
is($vrc, 1, 'verify with a WAL segment missing exits 1');
ok((grep { $_->{kind} eq 'missing_wal' && $_->{object} =~ /\Q$wal_seg\E/ } @$list),
	"and names the missing segment $wal_seg");
move("$tmp/wal.orig", $wal_obj) or die "put back $wal_obj: $!";

my ($incr1_dir) = backup_dirs($repo, $incr1);
move("$incr1_dir/manifest.json", "$tmp/manifest.orig") or die "move manifest: $!";
($vrc, $list) = cli_problems($incr2);
is($vrc, 1, 'verify of a backup whose prior is gone exits 1');
ok((grep { $_->{kind} eq 'chain' && "$_->{object} $_->{detail}" =~ /\Q$incr1\E/ } @$list),
	'and reports the broken chain, naming the missing backup');
move("$tmp/manifest.orig", "$incr1_dir/manifest.json") or die "put back manifest: $!";

($rc, $out, $err) = run_tool('verify', "--repo1-path=$repo");
is($rc, 0, 'with everything put back the whole repository verifies clean');

done_testing();
