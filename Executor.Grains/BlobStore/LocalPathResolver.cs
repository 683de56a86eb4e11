namespace Executor.BlobStore;

/// <summary>
/// Turns a <c>file://</c> URI into the real path it names and enforces <see cref="BlobStoreOptions.AllowedRoots"/>.
/// </summary>
/// <remarks>
/// The path is resolved component by component like the kernel does (realpath): every existing symlink is
/// followed, dangling ones included, and <c>..</c> applies to the resolved prefix, so <c>root/link/..</c> and
/// <c>root/link-to-outside/new-file</c> cannot escape. Components that do not exist yet are taken literally;
/// that covers files about to be created, whose deepest existing ancestor is what gets checked. I/O then
/// uses the resolved path, which leaves only a swap-after-check race that needs write access inside a root.
/// </remarks>
internal sealed class LocalPathResolver
{
    private const string Scheme = "file://";
    private const int MaxSymlinks = 40; // Linux's MAXSYMLINKS

    private readonly IReadOnlyList<string> _roots;

    public LocalPathResolver(IEnumerable<string> allowedRoots)
    {
        _roots = allowedRoots.Where(r => !string.IsNullOrWhiteSpace(r)).ToArray();
    }

    public bool IsConfined => _roots.Count > 0;

    /// <summary>The path part of the URI: everything after <c>file://</c>, not percent-decoded (as upstream).</summary>
    public static string PathOf(string uri)
    {
        if (!uri.StartsWith(Scheme, StringComparison.Ordinal))
        {
            throw new BlobAccessDeniedException($"Not a file:// URI: {uri}");
        }

        var path = uri[Scheme.Length..];
        if (!path.StartsWith('/'))
        {
            throw new BlobAccessDeniedException($"Local BLOB path must be absolute: {uri}");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new BlobAccessDeniedException($"Local BLOB path contains a NUL character: {uri}");
        }

        return path;
    }

    /// <summary>Resolves the URI to a real path, refusing it when it lies outside every allowed root.</summary>
    public string Resolve(string uri)
    {
        var path = PathOf(uri);
        var real = RealPath(path, uri);
        if (!IsConfined)
        {
            return real;
        }

        if (!IsInsideRoots(real, uri))
        {
            throw new BlobAccessDeniedException($"Local BLOB path is outside the allowed roots: {uri}");
        }

        // We use the path literally (as upstream), but an FE or another tool may percent-decode it: the decoded
        // reading must be confined too, so "%2e%2e" or "%2f" cannot step outside a root for someone else.
        var decoded = Uri.UnescapeDataString(path);
        if (!string.Equals(decoded, path, StringComparison.Ordinal)
            && (decoded.Contains('\0', StringComparison.Ordinal) || !IsInsideRoots(RealPath(decoded, uri), uri)))
        {
            throw new BlobAccessDeniedException($"Local BLOB path is outside the allowed roots once percent-decoded: {uri}");
        }

        return real;
    }

    private bool IsInsideRoots(string realPath, string uriForErrors) =>
        _roots.Any(root => IsUnder(realPath, RealPath(root, uriForErrors)));

    /// <summary>Checks an already resolved path we derived ourselves (e.g. a multipart part file).</summary>
    public string ResolvePath(string path) => Resolve(Scheme + path);

    private static bool IsUnder(string path, string root)
        => root == "/"
           || string.Equals(path, root, StringComparison.Ordinal)
           || path.StartsWith(root + "/", StringComparison.Ordinal);

    private static string RealPath(string absolutePath, string uriForErrors)
    {
        var pending = new Stack<string>(Components(absolutePath).Reverse());
        var current = "/";
        var links = 0;
        while (pending.Count > 0)
        {
            var component = pending.Pop();
            if (component is "" or ".")
            {
                continue;
            }

            if (component == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/"; // parent of "/" is "/"
                continue;
            }

            var next = current == "/" ? "/" + component : current + "/" + component;
            var target = ReadLink(next, uriForErrors);
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++links > MaxSymlinks)
            {
                throw new BlobAccessDeniedException($"Too many levels of symbolic links in local BLOB path: {uriForErrors}");
            }

            // Relative targets resolve against the link's directory, which is `current`.
            if (target.StartsWith('/'))
            {
                current = "/";
            }

            foreach (var part in Components(target).Reverse())
            {
                pending.Push(part);
            }
        }

        return current;
    }

    private static IEnumerable<string> Components(string path) => path.Split('/');

    // The raw symlink target, or null when the path is not a symlink or does not exist.
    private static string? ReadLink(string path, string uriForErrors)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new BlobAccessDeniedException($"Cannot resolve local BLOB path (permission denied): {uriForErrors}", ex);
        }
        catch (IOException)
        {
            // e.g. ENOTDIR: a regular file used as a directory; nothing can exist below it.
            return null;
        }
    }
}
