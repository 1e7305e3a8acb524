# Per-repository retention (issue 16): safekeep.repoN_retention_* override
# the global safekeep.retention_* for repository N, and expire runs in every
# configured repository with its own policy (SQL, the tool). Repository 1
# keeps one full backup, repository 2 three; each ends up holding what its
# own policy says, the catalog expires a backup only once no repository keeps
# it, and verification no longer looks for a backup where it was expired. A
# repository that cannot be read is reported with its error while the other
# is still expired.
use strict;
use warnings;

use File::Path 'rmtree';
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepTest;
use Test::More;

my $tmp = PostgreSQL::Test::Utils::tempdir('rr');
my $repo2 = "$tmp/repo2";
mkdir $repo2 or die $!;

# Retention runs only when the test asks for it.
my ($node, $repo1) = safekeep_node(
	'rr', conf => qq{
safekeep.repo2_path = '$repo2'
safekeep.expire_after_backup = off
safekeep.retention_full = 1
safekeep.retention_days = 0
safekeep.retention_daily = 0
safekeep.retention_weekly = 0
safekeep.retention_monthly = 0
safekeep.retention_yearly = 0
safekeep.repo2_retention_full = 3
});

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

is( q1(q{SELECT string_agg(name || '=' || setting, ',' ORDER BY name) FROM pg_settings
           WHERE name IN ('safekeep.repo1_retention_full', 'safekeep.repo2_retention_full',
                          'safekeep.repo2_retention_days', 'safekeep.retention_full')}),
	'safekeep.repo1_retention_full=-1,safekeep.repo2_retention_days=-1,'
	  . 'safekeep.repo2_retention_full=3,safekeep.retention_full=1',
	'repo2 sets its own retention_full; unset ones are -1 (the global value applies)');

my @full;
for my $i (1 .. 4)
{
	push @full, q1('SELECT safekeep.create_full_backup()');
	wait_jobs_idle($node);
}
like($_, qr/^\d{8}-\d{6}F$/, "full backup $_") for @full;
is(scalar(backup_dirs($repo1)) . '/' . scalar(backup_dirs($repo2)), '4/4',
	'each repository holds the four backups');

# "repo:label=action,..." of expire_backups($dry_run), physical rows only.
sub sql_actions
{
	my ($dry_run) = @_;
	return q1(
		"SELECT string_agg(repository || ':' || label || '=' || action, ',' ORDER BY repository, label)
           FROM safekeep.expire_backups($dry_run) WHERE label IS NOT NULL");
}

sub expected
{
	my (%keep) = @_;    # repo => [indexes kept]
	my @out;
	for my $r (sort keys %keep)
	{
		my %k = map { $_ => 1 } @{ $keep{$r} };
		push @out, map { "$r:$full[$_]=" . ($k{$_} ? 'keep' : 'expire') } 0 .. $#full;
	}
	return join ',', @out;
}

is(sql_actions('true'), expected(1 => [3], 2 => [ 1, 2, 3 ]),
	'dry run: repo1 keeps the newest full backup, repo2 the newest three');
is( q1(q{SELECT string_agg(repository || ':' || action, ',' ORDER BY repository)
           FROM safekeep.expire_backups() WHERE backup_type = 'wal'}),
	'1:expire,2:expire', 'one WAL row per repository');
like(q1("SELECT reason FROM safekeep.expire_backups() WHERE repository = 2 AND label = '$full[1]'"),
	qr/one of the 3 newest full backups/, 'repo2 keeps by its own rule');
is(scalar(backup_dirs($repo1)) . '/' . scalar(backup_dirs($repo2)), '4/4',
	'the dry runs removed nothing');

is(sql_actions('false'), expected(1 => [3], 2 => [ 1, 2, 3 ]), 'the real run: the same decisions');
is(join(',', map { s{.*/}{}r } backup_dirs($repo1)), $full[3], 'repo1 holds only the newest backup');
is(join(',', map { s{.*/}{}r } backup_dirs($repo2)), join(',', @full[ 1 .. 3 ]),
	'repo2 holds the newest three');
is( q1(q{SELECT string_agg(status, ',' ORDER BY label) FROM safekeep.backup_catalog}),
	'expired,completed,completed,completed',
	'the catalog expires only the backup no repository keeps');
is( q1(
		"SELECT string_agg((r->>'repo') || ':' || (r->>'landed') || ':' || coalesce(r->>'expired', '-'), ',' ORDER BY r->>'repo')
           FROM safekeep.backup_catalog, jsonb_array_elements(repositories) r WHERE label = '$full[1]'"),
	'1:false:true,2:true:-', 'a backup expired in repo1 only: its repositories say so');
is(q1("SELECT count(*) FROM safekeep.verify_backup('$full[1]')"),
	'0', 'verifying it does not look for it in repo1');
q1('SELECT safekeep.sync_catalog()');
is( q1(q{SELECT string_agg(status, ',' ORDER BY label) FROM safekeep.backup_catalog}),
	'expired,completed,completed,completed',
	'sync_catalog (which reads repo1) does not expire what repo2 still holds');

# --- a repository that cannot be read ---------------------------------------------
push @full, q1('SELECT safekeep.create_full_backup()');
wait_jobs_idle($node);
rename $repo2, "$repo2.away" or die $!;
open my $fh, '>', $repo2 or die $!;    # a file where the directory was
close $fh;
my ($rc, $out, $err) = $node->psql('postgres',
	q{SELECT string_agg(coalesce(label, '-') || '|' || backup_type || '|' || action || '|' || repository, ','
                        ORDER BY repository, label)
        FROM safekeep.expire_backups(false)});
is($rc, 0, 'expire_backups(false) with repo2 broken still succeeds') or diag($err);
is($out, "$full[3]|full|expire|1,$full[4]|full|keep|1,-|wal|expire|1,-|repository|error|2",
	'repo1 is expired, repo2 is one error row');
like(q1(q{SELECT reason FROM safekeep.expire_backups() WHERE action = 'error'}),
	qr/^repository 2 could not be expired: /, 'the error row names the repository and why');
is(join(',', map { s{.*/}{}r } backup_dirs($repo1)), $full[4], 'repo1 holds only the newest backup');
unlink $repo2 or die $!;
rename "$repo2.away", $repo2 or die $!;
is(join(',', map { s{.*/}{}r } backup_dirs($repo2)), join(',', @full[ 1 .. 4 ]),
	'repo2 was left alone');
is(q1("SELECT status FROM safekeep.backup_catalog WHERE label = '$full[3]'"),
	'completed', 'a backup repo2 (unread) may still hold stays completed');

# --- pg_safekeep expire, on the repositories alone ---------------------------------
$node->stop;
my @repos = ("--repo1-path=$repo1", "--repo2-path=$repo2");
($rc, $out, $err) = run_tool('expire', @repos, '--retention-full=1', '--repo2-retention-full=2',
	'--dry-run', '--output=json');
is($rc, 0, 'pg_safekeep expire over two repositories exits 0') or diag($err);
my $plan = decode_json($out);
is(join(',', map { $_->{repository} } @{ $plan->{repositories} }), '1,2', 'one plan per repository');
is($plan->{repositories}[1]{policy}{full}, 2, 'repo2 by its own --repo2-retention-full');
is($plan->{repositories}[0]{policy}{full}, 1, 'repo1 by --retention-full');
is( join(',', map { "$_->{label}=$_->{action}" } @{ $plan->{repositories}[1]{backups} }),
	join(',', "$full[1]=expire", "$full[2]=expire", "$full[3]=keep", "$full[4]=keep"),
	'repo2 would keep its two newest');

($rc, $out, $err) = run_tool('expire', @repos, '--retention-full=1', '--repo2-retention-full=2');
is($rc, 0, 'the real run exits 0') or diag($err);
like($out, qr/^repo1:$/m, 'the text names each repository');
like($out, qr/expired 2 backup\(s\)/, 'and sums what went');
is(join(',', map { s{.*/}{}r } backup_dirs($repo2)), join(',', @full[ 3, 4 ]),
	'repo2 holds its two newest');

($rc, $out, $err) = run_tool('expire', @repos, '--retention-full=1', '--repo2-retention-full=0');
is($rc, 1, 'a repository policy that keeps nothing exits 1');
like($err, qr/retention policy of repository 2 keeps nothing/, 'naming the repository');
($rc, $out, $err) = run_tool('expire', @repos, '--repo3-retention-full=1');
is($rc, 2, 'a rule for a repository that is not configured exits 2');
like($err, qr/--repo3-retention-full: repository 3 is not configured/, 'saying so');

rename $repo2, "$repo2.away" or die $!;
open $fh, '>', $repo2 or die $!;
close $fh;
($rc, $out, $err) = run_tool('expire', @repos, '--retention-full=1', '--output=json');
is($rc, 1, 'with repo2 broken the tool exits 1');
$plan = decode_json($out);
like($plan->{repositories}[1]{error} // '', qr/./, 'repo2 is reported with its error');
is(join(',', map { "$_->{label}=$_->{action}" } @{ $plan->{repositories}[0]{backups} }),
	"$full[4]=keep", 'repo1 is still expired');

done_testing();
