using Microsoft.Extensions.Options;

namespace Executor.BlobStore;

/// <summary>Fails startup with every problem at once, each naming its configuration key.</summary>
public sealed class BlobStoreOptionsValidator : IValidateOptions<BlobStoreOptions>
{
    private const string Section = BlobStoreOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, BlobStoreOptions options)
    {
        var errors = new List<string>();

        for (var i = 0; i < options.AllowedRoots.Count; i++)
        {
            var root = options.AllowedRoots[i];
            if (string.IsNullOrWhiteSpace(root) || !root.StartsWith('/') || root.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add($"{Section}:AllowedRoots:{i} must be an absolute directory path (got '{root}').");
            }
        }

        if (options.PresignExpiry < TimeSpan.FromSeconds(1) || options.PresignExpiry > BlobLayout.PresignExpiry)
        {
            errors.Add($"{Section}:PresignExpiry must be between 00:00:01 and 7.00:00:00 (got {options.PresignExpiry}).");
        }

        Positive(errors, "ReadChunkSize", options.ReadChunkSize);
        Positive(errors, "WritePartSizeFirst100", options.WritePartSizeFirst100);
        Positive(errors, "WritePartSizeAfter", options.WritePartSizeAfter);

        var s3 = options.S3;
        if (s3.ServiceUrl is { Length: > 0 } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"{Section}:S3:ServiceUrl must be an absolute http:// or https:// URL (got '{url}').");
        }

        if (s3.MaxAttempts is < 1 or > 20)
        {
            errors.Add($"{Section}:S3:MaxAttempts must be between 1 and 20 (got {s3.MaxAttempts}).");
        }

        if (s3.RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:S3:RequestTimeout must be positive (got {s3.RequestTimeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string key, long value)
    {
        if (value <= 0)
        {
            errors.Add($"{Section}:{key} must be a positive number of bytes (got {value}).");
        }
    }
}
