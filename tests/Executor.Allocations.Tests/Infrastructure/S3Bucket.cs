using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;
using Xunit;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>
/// One s3rver bucket as the allocation tests use it: the executor's environment for an endpoint, a real AWS SDK client
/// for arranging and checking objects, and FEs whose code lives in the bucket.
/// </summary>
internal sealed class S3Bucket(string name, string serviceUrl) : IDisposable
{
    private readonly AmazonS3Client _client = new(new BasicAWSCredentials(S3rverProcess.AccessKey, S3rverProcess.SecretKey), new AmazonS3Config
    {
        ServiceURL = serviceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public string Name => name;

    /// <summary>The executor's S3 settings for <paramref name="endpoint"/> (s3rver itself, or a proxy in front of it).</summary>
    public static Dictionary<string, string> ExecutorEnvironment(string endpoint) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = S3rverProcess.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = S3rverProcess.SecretKey,
        ["AWS_REGION"] = "us-east-1",
        ["AWS_ENDPOINT_URL_S3"] = endpoint,
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["BLOBSTORE__S3__FORCEPATHSTYLE"] = "true",
    };

    public async Task PutAsync(string key, byte[] content) =>
        // s3rver stores aws-chunked bodies verbatim: sign the whole payload instead.
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = name, Key = key, InputStream = new MemoryStream(content), UseChunkEncoding = false });

    public async Task<byte[]> GetAsync(string uri)
    {
        using var response = await _client.GetObjectAsync(name, Key(uri));
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>The object key of an <c>s3://bucket/key</c> URI in this bucket.</summary>
    public string Key(string uri)
    {
        var prefix = $"s3://{name}/";
        Assert.StartsWith(prefix, uri, StringComparison.Ordinal);
        return uri[prefix.Length..];
    }

    /// <summary>Uploads an FE's code bundle to the bucket and places the FE on the scenario's executor.</summary>
    public async Task<FunctionExecutorDescription> AddFunctionExecutorAsync(ExecutorScenario scenario, string function, string application)
    {
        var code = Encoding.UTF8.GetBytes("PK-test-code-" + application);
        var codeKey = $"ns/{application}/code/1.zip";
        await PutAsync(codeKey, code);
        var server = scenario.Server;
        var description = server.NewFunctionExecutor("ns", application, function, "1", cpuMsPerSec: 100, memoryMib: 64, diskMib: 64, codePayload: server.Blobs.Describe(codeKey, code, PayloadEncodings.Zip));
        return server.AddFunctionExecutor(scenario.ExecutorId, description);
    }

    public void Dispose() => _client.Dispose();
}
