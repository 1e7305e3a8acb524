# A corrupt or missing repository object makes `pg_safekeep restore` fail with
# an error that names the file; with the repository intact it succeeds.
use strict;
use warnings;

use File::Copy;
use File::Path qw(rmtree);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my ($node, $repo) = safekeep_node('primary');
$node->command_ok([ 'pgbench', '-i', '-s', 2, '-q', 'postgres' ], 'pgbench -i -s 2');
my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "backup $label taken");
switch_and_wait($node);
my $at_backup = data_fingerprint($node);
$node->stop;

my ($backup_dir) = backup_dirs($repo, $label);
my @objects = grep { m{/data/base/\d+/\d+[^/]*$} } files_under("$backup_dir/data");
ok(@objects >= 2, 'the backup holds relation files under data/base');

# The two largest relation objects: pgbench_accounts and its index.
@objects = sort { -s $b <=> -s $a } @objects;
my ($victim, $other) = @objects[ 0, 1 ];

# base/<db>/<relfilenode>: the part of the name every error must mention.
sub rel_path
{
	my ($object) = @_;
	my ($rel) = $object =~ m{/data/(base/\d+/\d+)};
	return $rel;
}

my $tmp = PostgreSQL::Test::Utils::tempdir();
my $attempt = 0;

sub restore_into_new_dir
{
	my $dir = "$tmp/restore" . $attempt++;
	return ($dir, run_tool('restore', "--repo1-path=$repo", "--pgdata=$dir", "--set=$label"));
}

# --- a corrupt object ---------------------------------------------------------------
copy($victim, "$tmp/victim.orig") or die "copy $victim: $!";
flip_bytes($victim, 64);
my ($dir, $rc, $out, $err) = restore_into_new_dir();
is($rc, 1, 'restore from a corrupt object fails');
like($err, qr/^pg_safekeep: error: .*\Q${\ rel_path($victim)}\E/m,
	'the error names the corrupt file (' . rel_path($victim) . ')');
copy("$tmp/victim.orig", $victim) or die "restore $victim: $!";

# --- a missing object ------------------------------------------------------------
move($other, "$tmp/other.orig") or die "move $other: $!";
($dir, $rc, $out, $err) = restore_into_new_dir();
is($rc, 1, 'restore with a missing object fails');
like($err, qr/^pg_safekeep: error: .*\Q${\ rel_path($other)}\E/m,
	'the error names the missing file (' . rel_path($other) . ')');
move("$tmp/other.orig", $other) or die "restore $other: $!";

# --- intact again: the same restore works and the copy starts ------------------------
my $copy = PostgreSQL::Test::Cluster->new('restored');
($rc, $out, $err) =
  run_tool('restore', "--repo1-path=$repo", '--pgdata=' . $copy->data_dir, "--set=$label");
is($rc, 0, 'restore from the intact repository succeeds') or diag($err);
wait_promoted($copy);
is(data_fingerprint($copy), $at_backup, 'and the copy holds the backed-up data');
$copy->stop;

done_testing();
