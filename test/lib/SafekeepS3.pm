# A real S3 server for the TAP tests: Ceph's radosgw on one machine
# (test/s3/start_radosgw.sh), and a look into its buckets through
# test/s3/s3_client.py (botocore, signed like any client).
package SafekeepS3;

use strict;
use warnings;

use Cwd 'abs_path';
use Exporter 'import';
use File::Basename 'dirname';
use IPC::Run;

our @EXPORT = qw(radosgw_installed start_radosgw s3_list s3_uploads);

my $s3dir = abs_path(dirname(__FILE__) . '/../s3');

sub radosgw_installed
{
	for my $prog (qw(ceph-mon ceph-osd radosgw radosgw-admin))
	{
		return 0 unless grep { -x "$_/$prog" } split /:/, $ENV{PATH} . ':/usr/bin';
	}
	return 1;
}

# Starts radosgw over TLS (certificate in $dir/tls, also the CA file), its
# cluster in $dir/ceph, with the bucket pgbackups and a user whose keys are
# returned. Returns a hash: handle, url, ca, access_key, secret_key,
# credentials (an AWS credentials file's text), log (the daemons' logs).
sub start_radosgw
{
	my ($dir) = @_;
	my %s = (
		access_key => 'SAFEKEEPTESTKEY0001',
		secret_key => 'safekeep-radosgw-test-secret-0001',
		ca => "$dir/tls/cert.pem",
		log => "$dir/ceph/log");
	local $ENV{RADOSGW_ACCESS_KEY} = $s{access_key};
	local $ENV{RADOSGW_SECRET_KEY} = $s{secret_key};
	local $ENV{RADOSGW_BUCKETS} = 'pgbackups';
	my ($out, $err) = ('', '');
	$s{handle} = IPC::Run::start(
		[ 'bash', "$s3dir/start_radosgw.sh", '--tls', "$dir/tls", 0, "$dir/ceph" ],
		'<', \undef, '>', \$out, '2>', \$err);
	# a cold start takes 15-30 s on two cores
	for (1 .. 1200)
	{
		last if $out =~ /radosgw ready: (\S+)/;
		last unless $s{handle}->pumpable;
		$s{handle}->pump_nb;
		select(undef, undef, undef, 0.1);
	}
	$out =~ /radosgw ready: (\S+)/ or die "radosgw did not start: $err (logs in $s{log})";
	$s{url} = $1;
	$s{credentials} = "[default]\naws_access_key_id = $s{access_key}\n"
	  . "aws_secret_access_key = $s{secret_key}\n";
	return \%s;
}

sub s3_client
{
	my ($s3, @args) = @_;
	local $ENV{S3_URL} = $s3->{url};
	local $ENV{S3_CA} = $s3->{ca};
	local $ENV{S3_ACCESS_KEY} = $s3->{access_key};
	local $ENV{S3_SECRET_KEY} = $s3->{secret_key};
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'python3', "$s3dir/s3_client.py", @args ], '>', \$out, '2>', \$err)
	  or die "s3_client.py @args: $err";
	return $out;
}

# The objects under $prefix in bucket pgbackups: { key => size }.
sub s3_list
{
	my ($s3, $prefix) = @_;
	my %objects = map { my ($size, $key) = split / /, $_, 2; ($key => $size) }
	  split /\n/, s3_client($s3, 'list', 'pgbackups', $prefix // '');
	return \%objects;
}

# Unfinished multipart uploads in bucket pgbackups: a list of keys.
sub s3_uploads
{
	my ($s3) = @_;
	return map { (split / /)[0] } split /\n/, s3_client($s3, 'uploads', 'pgbackups');
}

1;
