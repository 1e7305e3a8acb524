# pg_safekeep restore's safeguards: never inside a data directory, nothing left
# behind by a failed restore, test copies that never archive into the live
# repository, and --target-timeline to keep recovery off a test copy's timeline.
use strict;
use warnings;

use File::Basename;
use File::Copy;
use File::Find;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my $tmp = PostgreSQL::Test::Utils::tempdir();
my ($node, $repo) = safekeep_node('guarded');
my $datadir = $node->data_dir;
$node->safe_psql('postgres',
	q{CREATE TABLE marks (note text); INSERT INTO marks VALUES ('in backup')});
my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
$node->safe_psql('postgres', q{INSERT INTO marks VALUES ('after backup')});
switch_and_wait($node);
my $stanza = $node->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
my @repo = ("--repo1-path=$repo", "--stanza=$stanza");

# Names of the repository's files, for "nothing changed" checks.
sub repo_listing { return join "\n", files_under($repo); }

sub empty_dir
{
	my ($dir) = @_;
	opendir my $dh, $dir or return 0;
	my @e = grep { $_ ne '.' && $_ ne '..' } readdir $dh;
	return @e == 0;
}

# Files whose names start with $prefix anywhere in the repository.
sub repo_files_named
{
	my ($prefix) = @_;
	my @found;
	find(sub { push @found, $File::Find::name if -f $_ && index($_, $prefix) == 0 }, $repo);
	return @found;
}

my ($rc, $out, $err);
my $before = repo_listing();

# --- inside a running cluster's data directory ------------------------------------
my $inside = "$datadir/restore_here";
mkdir $inside or die "mkdir $inside: $!";
($rc, $out, $err) = run_tool('restore', @repo, "--pgdata=$inside");
is($rc, 1, 'restore into an empty directory inside a running PGDATA fails');
like($err, qr/"\Q$inside\E" is inside the data directory "\Q$datadir\E" of a PostgreSQL cluster \(it holds (PG_VERSION|postmaster\.pid)\)/,
	'naming the data directory it is inside');
ok(empty_dir($inside), 'the directory stays empty');
($rc, $out, $err) = run_tool('restore', @repo, "--pgdata=$datadir/base/new/pgdata");
is($rc, 1, 'a directory still to be made inside PGDATA is refused too');
ok(!-e "$datadir/base/new", 'and nothing is created');
rmdir $inside;

# The SQL side refuses another cluster's data directory (not only its own) up front.
my $other = PostgreSQL::Test::Cluster->new('other');
$other->init;
my $jobs = $node->safe_psql('postgres', 'SELECT count(*) FROM safekeep.jobs');
my ($src, $sql_out, $sql_err) = $node->psql('postgres',
	"SELECT safekeep.recover_full_database(NULL, '" . $other->data_dir . "/sub')");
isnt($src, 0, 'recover_full_database into another cluster\'s PGDATA fails');
like($sql_err, qr/is inside the data directory "\Q@{[$other->data_dir]}\E"/,
	'with the same message');
is($node->safe_psql('postgres', 'SELECT count(*) FROM safekeep.jobs'), $jobs, 'no job was queued');
ok(!-e $other->data_dir . '/sub', 'and nothing was created');

# --- bad option values ---------------------------------------------------------
($rc, $out, $err) = run_tool('restore', @repo, "--pgdata=$tmp/bad", '--archive-mode=on');
is($rc, 2, '--archive-mode=on is a usage error');
like($err, qr/--archive-mode must be off or preserve, not "on"/, 'naming the value');
for my $tl ('0', 'newest', '4294967296', "latest'\ninclude = 'x")
{
	($rc, $out, $err) = run_tool('restore', @repo, "--pgdata=$tmp/bad", "--target-timeline=$tl");
	is($rc, 2, "--target-timeline=\"$tl\" is a usage error");
	like($err, qr/--target-timeline: target timeline .* is not current, latest or a timeline number/,
		"--target-timeline=\"$tl\": the message says what is allowed");
}
ok(!-e "$tmp/bad", 'refused restores create nothing');

# --- a failed restore leaves nothing; the retry works ------------------------------
my ($object) = sort { -s $b <=> -s $a } grep { /\.zst$/ } files_under((backup_dirs($repo, $label))[0] . '/data');
copy($object, "$tmp/object.orig") or die "copy: $!";
flip_bytes($object);
($rc, $out, $err) = run_tool('restore', @repo, "--pgdata=$tmp/retry/pgdata", "--set=$label");
is($rc, 1, 'a restore from a damaged object fails');
like($err, qr/restore failed: .*\Q$object\E/, 'naming the object');
ok(!-e "$tmp/retry", 'and removes every directory it created');
copy("$tmp/object.orig", $object) or die "copy back: $!";
($rc, $out, $err) = run_tool('restore', @repo, "--pgdata=$tmp/retry/pgdata", "--set=$label");
is($rc, 0, 'the retry into the same path succeeds') or diag($err);
ok(-f "$tmp/retry/pgdata/PG_VERSION", 'and restores the cluster');
is(repo_listing(), $before, 'no restore changed the repository');

# --- a test copy started with --start does not archive ------------------------------
my $test_copy = PostgreSQL::Test::Cluster->new('test_copy');
($rc, $out, $err) = run_tool('restore', @repo, '--pgdata=' . $test_copy->data_dir,
	"--set=$label", '--target=immediate', '--start', '--port=' . $test_copy->port);
is($rc, 0, 'restore --start of a test copy succeeds') or diag($err);
$test_copy->_update_pid(1);
is($test_copy->safe_psql('postgres', 'SHOW archive_mode'), 'off',
	'--start defaults to --archive-mode=off');
is($test_copy->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 'f', 'the copy promoted');
$test_copy->safe_psql('postgres',
	q{INSERT INTO marks VALUES ('test copy'); SELECT pg_switch_wal()});
ok(!-e $test_copy->data_dir . '/pg_wal/archive_status/00000002.history.ready'
	  && !-e $test_copy->data_dir . '/pg_wal/archive_status/00000002.history.done',
	'its new timeline is not queued for archiving');
$test_copy->stop;

# --archive-mode=preserve keeps archiving: this copy pushes its timeline 2 into
# the live repository, as a careless test copy would.
my $careless = PostgreSQL::Test::Cluster->new('careless');
($rc, $out, $err) = run_tool('restore', @repo, '--pgdata=' . $careless->data_dir,
	"--set=$label", '--target=immediate', '--archive-mode=preserve', '--start',
	'--port=' . $careless->port);
is($rc, 0, 'restore --start --archive-mode=preserve succeeds') or diag($err);
$careless->_update_pid(1);
is($careless->safe_psql('postgres', 'SHOW archive_mode'), 'on', 'preserve keeps archive_mode on');
$careless->safe_psql('postgres', q{INSERT INTO marks VALUES ('careless copy')});
my $seg = $careless->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
like($seg, qr/^00000002/, 'the careless copy writes timeline 2');
wait_for_archive($careless, $seg);
$careless->stop;
ok(scalar(repo_files_named('00000002.history')) > 0,
	'its timeline history reached the live repository');

# --- --target-timeline=current stays on the backup's timeline ---------------------
my $current = PostgreSQL::Test::Cluster->new('current_tl');
($rc, $out, $err) = run_tool('restore', @repo, '--pgdata=' . $current->data_dir,
	"--set=$label", '--target-timeline=current', '--start', '--port=' . $current->port);
is($rc, 0, 'restore --target-timeline=current succeeds') or diag($err);
$current->_update_pid(1);
is($current->safe_psql('postgres', 'SHOW recovery_target_timeline'), 'current',
	'the restored server recovered with recovery_target_timeline = current');
is($current->safe_psql('postgres', 'SELECT string_agg(note, \',\' ORDER BY note) FROM marks'),
	'after backup,in backup',
	'it replayed the primary\'s timeline 1 to its end, not the careless copy\'s timeline 2');
$current->stop;

$node->stop;
done_testing();
