# An S3 repository on a real S3 server: Ceph's radosgw (issue 16 part 5),
# which, unlike s3rver, checks SigV4 signatures, multipart rules (parts of at
# least 5 MiB, ETags), TLS and quotas as AWS does. A full backup with
# multipart objects, the WAL archive, SQL and CLI verify, and a restore from
# the bucket alone; then the faults a real server produces: a wrong secret
# (403 SignatureDoesNotMatch), a certificate from another CA, and a full
# repository (the bucket's quota): clear errors, no multipart upload left
# behind, the earlier backup untouched.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use SafekeepS3;
use SafekeepTest;
use Test::More;

plan skip_all => 'radosgw is not installed (apt-get install radosgw ceph-mon ceph-osd ceph-common)'
  unless radosgw_installed();

my $tmp = PostgreSQL::Test::Utils::tempdir('rgw');
my $s3 = start_radosgw($tmp);
note("radosgw at $s3->{url}");
my $creds = secret_file($tmp, 'credentials', $s3->{credentials});
my $pass = secret_file($tmp, 'pass', "radosgw repository passphrase\n");
my $repo2 = {
	'type' => 's3',
	's3-endpoint' => $s3->{url},
	's3-bucket' => 'pgbackups',
	's3-prefix' => 'rgw',
	's3-ca-file' => $s3->{ca},
	's3-credentials-file' => $creds,
	's3-part-size' => '5MB',
	's3-storage-class' => 'STANDARD',
	'cipher' => 'aes-256-gcm'
};
my ($node, $repo1) = safekeep_node('rgw',
	conf => repo_conf(2, $repo2)
	  . "safekeep.repo2_cipher_passphrase_file = '$pass'\n"
	  . "safekeep.archive_timeout = 20\n");
my $stanza = $node->safe_psql('postgres', 'SELECT system_identifier FROM pg_control_system()');
my @repo2_options =
  (repo_tool_options(2, $repo2), "--repo2-cipher-passphrase-file=$pass", '--repo=2',
	"--stanza=$stanza");

# md5 text compresses about 2:1, so the table's file (~45 MB) is stored as
# several 5 MiB parts.
$node->command_ok([ 'pgbench', '-i', '-s', 2, '-q', 'postgres' ], 'pgbench -i');
$node->safe_psql('postgres',
	'CREATE TABLE big AS SELECT g, md5(g::text) || md5((g * 7)::text) AS t FROM generate_series(1, 500000) g'
);
my $label = $node->safe_psql('postgres', 'SELECT safekeep.create_full_backup()');
like($label, qr/^\d{8}-\d{6}F$/, "a full backup into radosgw ($label)");
wait_jobs_idle($node);
is( $node->safe_psql(
		'postgres', qq{
SELECT string_agg((r->>'repo') || ':' || (r->>'kind') || ':' || (r->>'landed'), ',' ORDER BY r->>'repo')
  FROM safekeep.backup_catalog, jsonb_array_elements(repositories) r WHERE label = '$label'}),
	'1:posix:true,2:s3:true', 'it landed in the directory and in radosgw');

my $objects = s3_list($s3, "rgw/$stanza/backup/$label/");
ok(keys(%$objects) > 10, 'the backup\'s objects are in the bucket (' . keys(%$objects) . ')');
my ($largest) = sort { $objects->{$b} <=> $objects->{$a} } keys %$objects;
cmp_ok($objects->{$largest}, '>', 10 * 1024 * 1024,
	"its largest object went up in parts ($largest, $objects->{$largest} bytes)");
is(join(',', s3_uploads($s3)), '', 'no multipart upload is left unfinished');

my $segment = switch_and_wait($node);
ok(grep({ m{/archive/.*/\Q$segment\E} } keys %{ s3_list($s3, "rgw/$stanza/archive/") }),
	"WAL segment $segment is archived into radosgw");

is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM safekeep.verify_backup('$label') WHERE repository = 2 AND problem IS NOT NULL"
	),
	'0',
	'SQL verify_backup reads every object back from radosgw: no problem');
my ($rc, $out, $err) = run_tool('verify', @repo2_options);
is($rc, 0, 'pg_safekeep verify --repo=2: backup and WAL complete') or diag($out . $err);

# The primary site is gone: restore from radosgw alone.
my $big_sum = q{SELECT count(*) || ':' || md5(string_agg(t, ',' ORDER BY g)) FROM big};
my $fingerprint = data_fingerprint($node) . '/' . $node->safe_psql('postgres', $big_sum);
$node->stop;
my $copy = PostgreSQL::Test::Cluster->new('from_rgw');
($rc, $out, $err) = run_tool('restore', @repo2_options, '--pgdata=' . $copy->data_dir);
is($rc, 0, 'restore from radosgw alone') or diag($err);
wait_promoted($copy);
is(data_fingerprint($copy) . '/' . $copy->safe_psql('postgres', $big_sum), $fingerprint, 'the restored data equals the data backed up');
$copy->stop;
$node->start;

my $before = s3_list($s3, 'rgw/');

# A wrong secret: radosgw checks the signature.
my $wrong_creds = secret_file($tmp, 'wrong_credentials',
	"[default]\naws_access_key_id = $s3->{access_key}\naws_secret_access_key = not-the-secret\n");
($rc, $out, $err) = run_tool('info', (map { s/\Q$creds\E$/$wrong_creds/r } @repo2_options));
isnt($rc, 0, 'a wrong secret key is refused');
like($err, qr/403|SignatureDoesNotMatch/, 'and the error says the server refused the signature');

# A certificate signed by another CA.
my $other = "$tmp/other_ca";
mkdir $other or die $!;
system('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
	'-nodes', '-keyout', "$other/key.pem", '-out', "$other/cert.pem", '-days', '1',
	'-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1') == 0
  or die 'openssl req failed';
($rc, $out, $err) = run_tool('info', (map { s/\Q$s3->{ca}\E$/$other\/cert.pem/r } @repo2_options));
isnt($rc, 0, 'a server certificate the CA file does not vouch for is refused');
like($err, qr/certificate|SSL|TLS/i, 'and the error names the certificate check');
is_deeply(s3_list($s3, 'rgw/'), $before, 'the refused requests changed nothing in the bucket');

# A full repository: the bucket's quota leaves 2 MB. The archiver's upload
# is refused (403 QuotaExceeded), so the next backup, which waits for its
# WAL, fails and says why; no multipart upload is left behind, the earlier
# backup stays whole, and once there is room the held WAL is archived.
my @admin = ('radosgw-admin', '-c', "$tmp/ceph/ceph.conf");
my $used = 0;
$used += $_ for values %{ s3_list($s3, '') };
system(@admin, 'quota', 'set', '--quota-scope=bucket', '--bucket=pgbackups',
	'--max-size=' . ($used + 2 * 1024 * 1024)) == 0
  or die 'quota set failed';
system(@admin, 'quota', 'enable', '--quota-scope=bucket', '--bucket=pgbackups') == 0
  or die 'quota enable failed';
my ($brc, $bout, $berr) = $node->psql('postgres', 'SELECT safekeep.create_full_backup()');
isnt($brc, 0, 'a full backup into the full repository fails');
note("the error: $berr");
like($berr, qr/QuotaExceeded|quota/i, 'the error names the full repository') or diag($berr);
is( $node->safe_psql(
		'postgres', "SELECT string_agg(status, ',') FROM safekeep.backup_catalog WHERE label <> '$label'"),
	'failed', 'the catalog records the attempt as failed');
is(join(',', s3_uploads($s3)), '', 'its multipart uploads were aborted');
system(@admin, 'quota', 'disable', '--quota-scope=bucket', '--bucket=pgbackups') == 0
  or die 'quota disable failed';
my $held = $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
wait_for_archive($node, $held);
pass("with the quota lifted the held WAL reached radosgw ($held)");
($rc, $out, $err) = run_tool('verify', @repo2_options);
is($rc, 0, 'the earlier backup and the WAL still verify in radosgw') or diag($out . $err);

$node->stop;
$s3->{handle}->signal('TERM');
$s3->{handle}->finish;
done_testing();
