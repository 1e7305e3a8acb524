# Several repositories at once (issue 6): repo1 a directory, repo2 in a real
# S3 server (Ceph's radosgw over TLS, on loopback) encrypted with
# AES-256-GCM. Backup and WAL go to both; with repo1 deleted, a point-in-time
# restore from repo2 alone gives the data at the target. Key rotation, a
# wrong passphrase, a tampered object and an S3 outage during archiving.
use strict;
use warnings;

use File::Path qw(rmtree);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepS3;
use SafekeepTest;
use Test::More;

plan skip_all => 'radosgw is not installed (apt-get install radosgw ceph-mon ceph-osd ceph-common)'
  unless radosgw_installed();

my $tmp = PostgreSQL::Test::Utils::tempdir('s3');
my $tls = "$tmp/tls";
my $s3 = start_radosgw($tmp);
my $url = $s3->{url};
note("radosgw at $url");

my $creds = secret_file($tmp, 'credentials', $s3->{credentials});
my $pass1 = secret_file($tmp, 'pass1', "correct horse battery staple\n");
my $pass2 = secret_file($tmp, 'pass2', "a new passphrase for repo2\n");
my $wrong = secret_file($tmp, 'wrong', "not the passphrase\n");

my $repo2 = encrypted_s3_repo($url, $tls, $creds);
my $conf = repo_conf(2, $repo2);
my ($node, $repo) = safekeep_node('multi',
	conf => $conf . "safekeep.repo2_cipher_passphrase_file = '$pass1'\n");

sub repo2_options
{
	my ($passfile) = @_;
	return (repo_tool_options(2, $repo2),
		"--repo2-cipher-passphrase-file=$passfile", '--repo=2');
}

$node->command_ok([ 'pgbench', '-i', '-s', 2, '-q', 'postgres' ], 'pgbench -i');
my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, 'a full backup to both repositories');
is( $node->safe_psql(
		'postgres', qq{
SELECT string_agg((r->>'repo') || ':' || (r->>'kind') || ':' || (r->>'landed'), ',' ORDER BY r->>'repo')
  FROM safekeep.backup_catalog, jsonb_array_elements(repositories) r WHERE label = '$label'}),
	'1:posix:true,2:s3:true', 'backup_catalog records that it landed in both');
is( $node->safe_psql(
		'postgres', q{
SELECT details->>'repositories_with_latest_backup', details->>'storage_kinds',
       details->>'has_object_storage', details->>'rule_3_2_1'
  FROM safekeep.check_backup_health()}),
	'2|2|true|true', 'check_backup_health reports 3-2-1 compliance');

# Everything in the bucket is encrypted, but for repo.json and each backup's
# data.key (its data key, wrapped by the repository's master key).
my $heads = s3_heads($s3, 'cluster/', 200);
my @key_objects = grep { m{/backup/[^/]+/data\.key$} } keys %$heads;
ok(@key_objects >= 1 && !grep({ $heads->{$_} !~ /\A[0-9a-f]{120}\n\z/ } @key_objects),
	'each backup in the bucket holds its wrapped data key beside its data');
my @objects = grep { !/repo\.json|data\.key/ } keys %$heads;
my @plain = grep { substr($heads->{$_}, 0, 6) ne 'SKGCM1' } @objects;
ok(scalar(@objects) > 10, 'the bucket holds the backup objects');
is(scalar(@plain), 0, 'every object in the bucket is AES-256-GCM encrypted') or diag("@plain");

# Rotation: re-wrap the keys, then point the setting at the new passphrase.
like($node->safe_psql('postgres', "SELECT safekeep.rotate_encryption_key(2, '$pass2')"),
	qr/rekeyed/, 'rotate_encryption_key re-wraps repo2');
$node->append_conf('postgresql.conf', "safekeep.repo2_cipher_passphrase_file = '$pass2'\n");
$node->reload;

# WAL under load, with an S3 outage in the middle: nothing is acknowledged
# that is not stored, and archiving catches up with no gap.
$node->safe_psql('postgres', 'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid < 5000');
switch_and_wait($node);
s3_gateway_stop($s3);
my $failed_before = $node->safe_psql('postgres', 'SELECT failed_count FROM pg_stat_archiver');
$node->safe_psql('postgres', 'UPDATE pgbench_accounts SET abalance = abalance + 2 WHERE aid < 5000');
$node->safe_psql('postgres', 'SELECT txid_current()');
my $held = $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
$node->poll_query_until('postgres', "SELECT failed_count > $failed_before FROM pg_stat_archiver")
  or die 'archiving did not fail while S3 was down';
ok(-f $node->data_dir . "/pg_wal/archive_status/$held.ready",
	'with S3 down the segment stays .ready (not acknowledged)');
s3_gateway_start($s3);
wait_for_archive($node, $held);
pass('after S3 came back the held segment was archived');

my $T = $node->safe_psql('postgres', 'SELECT now()');
my $at_T = data_fingerprint($node);
sleep 1.1;
$node->safe_psql('postgres', 'UPDATE pgbench_accounts SET abalance = abalance + 3; CREATE TABLE after_t (x int)');
switch_and_wait($node);
my ($rc, $out, $err) = run_tool('verify', repo2_options($pass2));
is($rc, 0, 'pg_safekeep verify --repo=2: backup and WAL complete, no gap') or diag($out . $err);
$node->stop;

# repo1 is gone: restore from repo2 alone.
rmtree($repo);
my $copy = PostgreSQL::Test::Cluster->new('from_s3');
($rc, $out, $err) = run_tool('restore', repo2_options($wrong),
	'--pgdata=' . $copy->data_dir, "--target-time=$T");
isnt($rc, 0, 'a wrong passphrase is refused');
like($err, qr/wrong passphrase/, 'and named');
ok(!-e $copy->data_dir . '/PG_VERSION', 'nothing was restored with it');
($rc, $out, $err) = run_tool('restore', repo2_options($pass1), '--pgdata=' . $copy->data_dir,
	"--target-time=$T");
like($err, qr/wrong passphrase/, 'the old passphrase no longer opens repo2 after rotation');
($rc, $out, $err) = run_tool('restore', repo2_options($pass2), '--pgdata=' . $copy->data_dir,
	"--target-time=$T");
is($rc, 0, 'restore from repo2 (S3, encrypted) with the new passphrase') or diag($err);
wait_promoted($copy);
is(data_fingerprint($copy), $at_T, 'the data equals the data at the target');
is($copy->safe_psql('postgres', "SELECT to_regclass('after_t') IS NULL"), 't',
	'nothing after the target');
$copy->stop;

# A flipped byte in an encrypted object fails authentication, named.
my $sizes = s3_list($s3, 'cluster/');
my ($victim) = sort { $sizes->{$b} <=> $sizes->{$a} } grep { m{/backup/} } keys %$sizes;
s3_flip($s3, $victim, 4);
($rc, $out, $err) = run_tool('verify', repo2_options($pass2));
isnt($rc, 0, 'verify fails on a tampered object');
like($out . $err, qr/authentication failed/, 'with the authentication failure named');

stop_radosgw($s3);
done_testing();
