# The pg_safekeep tool's command line: exit codes and error messages for bad
# input, checked before anything touches a repository.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my $tmp = PostgreSQL::Test::Utils::tempdir();
my $repo = "$tmp/repo";
mkdir $repo;

# Runs the tool; checks the exit status and that stderr matches $re.
sub fails_with
{
	my ($status, $re, $name, @args) = @_;
	my ($rc, $out, $err) = run_tool(@args);
	is($rc, $status, "$name: exit $status");
	like($err, $re, "$name: message");
}

my ($rc, $out, $err) = run_tool('version');
is($rc, 0, 'version exits 0');
like($out, qr/^pg_safekeep \d+\.\d+/, 'version prints the version');
($rc, $out) = run_tool('help', 'restore');
like($out, qr/--target-time/, 'help restore lists the options');
($rc, $out) = run_tool('--help');
is($rc, 0, '--help exits 0');

fails_with(2, qr/^pg_safekeep: error: unknown subcommand "frobnicate"/,
	'unknown subcommand', 'frobnicate');
fails_with(2, qr/unknown option "--bogus" for info/, 'unknown option', 'info',
	"--repo1-path=$repo", '--bogus');
fails_with(2, qr/no repository given/, 'missing repository', 'info');
fails_with(2, qr/--output must be text or json/, 'bad output format',
	'info', "--repo1-path=$repo", '--output=xml');
fails_with(2, qr/--pgdata is required/, 'restore without pgdata',
	'restore', "--repo1-path=$repo");

my @restore = ('restore', "--repo1-path=$repo", "--pgdata=$tmp/pgdata");
fails_with(2, qr/only one recovery target/, 'two targets',
	@restore, '--target-time=2024-01-01 00:00:00', '--target-lsn=0/3000000');
fails_with(2, qr/invalid --target-time "yesterday"/, 'unparsable time',
	@restore, '--target-time', 'yesterday');
fails_with(2, qr/no such date/, 'impossible date', @restore, '--target-time=2023-02-29 10:00:00');
fails_with(2, qr/in the future/, 'future time', @restore, '--target-time=2999-01-01 00:00:00Z');
fails_with(2, qr/--target-action must be promote, pause or shutdown/, 'bad action',
	@restore, '--target-lsn=0/3000000', '--target-action=explode');
fails_with(2, qr/invalid --target-lsn/, 'bad lsn', @restore, '--target-lsn=3000000');
fails_with(2, qr/--target must be "immediate"/, 'bad --target', @restore, '--target=latest');
fails_with(2, qr/option --set needs a value/, 'missing value', @restore, '--set');
ok(!-e "$tmp/pgdata", 'rejected restores create nothing');

# Accepted time forms get past the option checks and fail only at the empty
# repository (exit 1, not 2).
for my $ts ('2024-01-01 00:00:00', '2024-01-01T00:00:00Z', '2024-01-01 00:00:00.123456+00',
	'2024-01-01 05:30:00+05:30', '2024-01-01 00:00:00 -0800', '2024-02-29 23:59')
{
	($rc, $out, $err) = run_tool(@restore, "--target-time=$ts");
	is($rc, 1, "target time \"$ts\" is accepted");
	unlike($err, qr/target-time/, "target time \"$ts\": the error is about the repository");
}

# restore_command contract: anything but "not found" is fatal (> 125).
fails_with(200, qr/archive-get needs WALNAME and DESTPATH/, 'archive-get without arguments',
	'archive-get', "--repo1-path=$repo");
fails_with(200, qr/no repository given/, 'archive-get without repository',
	'archive-get', '000000010000000000000001', "$tmp/x");

# A directory that is no repository: a one-line error, exit 1.
($rc, $out, $err) = run_tool('info', "--repo1-path=$tmp/nonexistent");
is($rc, 1, 'info on a missing repository exits 1');
like($err, qr/^pg_safekeep: error: .+\n\z/, 'with one error line');

done_testing();
