using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Executor.TestHost;
using Executor.Testing;
using FakeIndexifyServer;
using Xunit;

namespace Executor.Tests.Server;

/// <summary>--config-path TLS file: server verification against a custom CA and a client certificate (mTLS).</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task ExecutorRegistersOverMutualTlsWithTheUpstreamConfigFile()
    {
        using var temp = new TempDirectory("executor-tls");
        using var ca = CreateAuthority();
        using var serverCert = Issue(ca, "server", server: true);
        using var clientCert = Issue(ca, "executor", server: false);
        var caPath = temp.Combine("ca.pem");
        File.WriteAllText(caPath, ca.ExportCertificatePem());
        File.WriteAllText(temp.Combine("client.pem"), clientCert.ExportCertificatePem());
        File.WriteAllText(temp.Combine("client.key"), clientCert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var config = temp.Combine("tls.yaml");
        File.WriteAllText(config, $"use_tls: true\ntls_config:\n  cert_path: {temp.Combine("client.pem")}\n  key_path: {temp.Combine("client.key")}\n  ca_bundle_path: {caPath}\n");

        await using var server = await FakeServer.StartAsync(new FakeServerOptions { TlsCertificate = serverCert, ClientCertificateAuthority = ca });
        await using var executor = await ExecutorProcess.StartAsync(server.Address, temp.Combine("cache"), ["--config-path", config]);
        var registered = await server.WaitForRegisteredExecutorAsync(timeout: TimeSpan.FromSeconds(60));
        Assert.True(registered.IsRegistered);
        await Eventually.TrueAsync(async () => (await executor.GetAsync("/monitoring/health")).Status == 200, TimeSpan.FromSeconds(30), "healthy over TLS");

        // Without the client certificate the Server refuses the handshake and health says so.
        var noClient = temp.Combine("tls-no-client.yaml");
        File.WriteAllText(noClient, $"use_tls: true\ntls_config:\n  ca_bundle_path: {caPath}\n");
        await using var refused = await ExecutorProcess.StartAsync(server.Address, temp.Combine("cache2"), ["--config-path", noClient]);
        await Eventually.TrueAsync(async () => (await refused.GetAsync("/monitoring/health")).Status == 503, TimeSpan.FromSeconds(30), "unhealthy without a client certificate");
        Assert.Single(server.Executors, e => e.IsRegistered);
    }

    private static X509Certificate2 CreateAuthority()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=executor-test-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string name, bool server)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
        var withKey = issued.CopyWithPrivateKey(key);

        // Kestrel on Linux needs an exportable, reloadable key: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }
}
