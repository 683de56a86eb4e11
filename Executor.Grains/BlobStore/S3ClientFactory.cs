using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Logging;

namespace Executor.BlobStore;

/// <summary>
/// Builds the S3 client the way AWS users expect: credentials from the SDK default chain (environment,
/// shared config/credentials files and profiles, container and instance roles), region from the usual
/// places (us-east-1 when none), an endpoint override from options, <c>AWS_ENDPOINT_URL_S3</c> or
/// <c>AWS_ENDPOINT_URL</c>, and upstream's retry policy (3 attempts, standard mode).
/// </summary>
public sealed partial class S3ClientFactory : IS3ClientFactory
{
    private const string DefaultRegion = "us-east-1";

    private readonly S3BlobStoreOptions _options;
    private readonly AWSCredentials? _credentials;
    private readonly ILogger _logger;
    private readonly Func<string, string?> _environment;

    /// <summary>The executor's factory: SDK default credential chain, process environment.</summary>
    /// <remarks>
    /// No AWS type in this signature: the executor builds the factory at startup, and a constructor that names one
    /// makes the runtime load the AWS SDK then, although most executors never see an s3:// URI.
    /// </remarks>
    public S3ClientFactory(S3BlobStoreOptions options, ILogger<S3ClientFactory> logger)
    {
        _options = options;
        _logger = logger;
        _environment = Environment.GetEnvironmentVariable;
    }

    /// <param name="options">Client settings.</param>
    /// <param name="logger">Logs the resolved endpoint and region (never credentials).</param>
    /// <param name="credentials">Explicit credentials (tests against a local S3 server); null uses the SDK default chain.</param>
    /// <param name="environment">Environment lookup; null reads the process environment.</param>
    public S3ClientFactory(S3BlobStoreOptions options, ILogger<S3ClientFactory> logger, AWSCredentials? credentials, Func<string, string?>? environment = null)
    {
        _options = options;
        _logger = logger;
        _credentials = credentials;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    public IAmazonS3 Create()
    {
        var region = _options.Region is { Length: > 0 } configured
            ? configured
            : Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION") ?? SdkRegion() ?? DefaultRegion;

        var config = new AmazonS3Config
        {
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = _options.MaxAttempts - 1,
            Timeout = _options.RequestTimeout,
            ForcePathStyle = _options.ForcePathStyle,
            // Only checksum when S3 requires it: S3-compatible servers often reject the trailing checksums
            // SDK v4 adds by default, and presigned part PUTs from FEs carry none anyway.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };

        var endpoint = EndpointOverride();
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        LogClientCreated(_logger, endpoint is null ? "(AWS default)" : WithoutUserInfo(endpoint), region, _options.ForcePathStyle, _options.MaxAttempts);
        return _credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(_credentials, config);
    }

    private string? EndpointOverride()
    {
        if (_options.ServiceUrl is { Length: > 0 } url)
        {
            return url;
        }

        if (string.Equals(Env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Env("AWS_ENDPOINT_URL_S3") ?? Env("AWS_ENDPOINT_URL");
    }

    // Profile (AWS_PROFILE / default) region and instance metadata, through the SDK's own chain.
    private static string? SdkRegion()
    {
        try
        {
            return FallbackRegionFactory.GetRegionEndpoint()?.SystemName;
        }
        catch (AmazonClientException)
        {
            return null;
        }
    }

    // An endpoint URL could carry user:password; never log that part.
    private static string WithoutUserInfo(string url)
        => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.ToString()
            : url;

    private string? Env(string name) => _environment(name) is { Length: > 0 } value ? value : null;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "S3 client created: endpoint {Endpoint}, region {Region}, path style {ForcePathStyle}, {MaxAttempts} attempts per call")]
    private static partial void LogClientCreated(ILogger logger, string endpoint, string region, bool forcePathStyle, int maxAttempts);
}
