using Executor.BlobStore.Tests.Infrastructure;
using Executor.Testing;

namespace Executor.BlobStore.Tests;

/// <summary>
/// <see cref="BlobStoreOptions.AllowedRoots"/>: file:// URIs must resolve inside a root after <c>..</c> and
/// symlinks are resolved; anything else is refused before any I/O.
/// </summary>
public sealed class ConfinementTests : IDisposable
{
    private readonly TempDirectory _temp = new("blobstore-confinement");
    private readonly string _root;
    private readonly string _outside;
    private readonly BlobStoreRouter _store;

    public ConfinementTests()
    {
        _root = Directory.CreateDirectory(_temp.Combine("root")).FullName;
        _outside = Directory.CreateDirectory(_temp.Combine("outside")).FullName;
        File.WriteAllBytes(Path.Combine(_outside, "secret"), [1, 2, 3]);
        _store = TestStores.Router(TestStores.SmallChunkOptions(null, _root));
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Inside_the_root_works()
    {
        var uri = $"file://{_root}/sub/../data";
        await _store.PutAsync(uri, new byte[] { 9 }, CancellationToken.None);
        Assert.Equal(new byte[] { 9 }, await _store.GetAsync($"file://{_root}/data", CancellationToken.None));
        Assert.Equal(uri, await _store.PresignGetAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Path_outside_the_roots_is_refused_for_every_operation()
    {
        var uri = $"file://{_outside}/secret";
        await AssertDeniedEverywhereAsync(uri);
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(Path.Combine(_outside, "secret")));
    }

    [Fact]
    public async Task Dot_dot_escape_is_refused()
    {
        await AssertDeniedEverywhereAsync($"file://{_root}/../outside/secret");
        await AssertDeniedEverywhereAsync($"file://{_root}/a/b/../../../outside/new");
        Assert.False(File.Exists(Path.Combine(_outside, "new")));
    }

    [Fact]
    public async Task Percent_encoded_escapes_are_refused_but_harmless_escapes_inside_the_root_work()
    {
        // An FE that percent-decodes would read these outside the root, so they are refused although we read literally.
        await AssertDeniedEverywhereAsync($"file://{_root}/%2e%2e/outside/secret");
        await AssertDeniedEverywhereAsync($"file://{_root}/%2E%2E%2Foutside/secret");
        await AssertDeniedEverywhereAsync($"file://{_root}/a%00b");
        Assert.False(File.Exists(Path.Combine(_root, "%2e%2e", "outside", "secret")));

        // A percent sign that stays inside the root either way is an ordinary file name.
        var uri = $"file://{_root}/100%25done";
        await _store.PutAsync(uri, new byte[] { 7 }, CancellationToken.None);
        Assert.Equal(new byte[] { 7 }, await File.ReadAllBytesAsync(Path.Combine(_root, "100%25done")));
    }

    [Fact]
    public async Task Sibling_with_the_root_as_prefix_is_refused()
    {
        var sibling = Directory.CreateDirectory(_root + "2").FullName;
        await AssertDeniedEverywhereAsync($"file://{sibling}/x");
    }

    [Fact]
    public async Task Symlinked_directory_pointing_outside_is_refused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "link"), _outside);
        await AssertDeniedEverywhereAsync($"file://{_root}/link/secret");
        await AssertDeniedEverywhereAsync($"file://{_root}/link/not-yet-there");
        Assert.False(File.Exists(Path.Combine(_outside, "not-yet-there")));
    }

    [Fact]
    public async Task Symlinked_file_and_dangling_symlink_pointing_outside_are_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "file-link"), Path.Combine(_outside, "secret"));
        File.CreateSymbolicLink(Path.Combine(_root, "dangling"), Path.Combine(_outside, "created-through-link"));

        await AssertDeniedEverywhereAsync($"file://{_root}/file-link");
        await AssertDeniedEverywhereAsync($"file://{_root}/dangling");
        Assert.False(File.Exists(Path.Combine(_outside, "created-through-link")));
    }

    [Fact]
    public async Task Dot_dot_after_a_symlink_follows_the_link_like_the_kernel()
    {
        // root/deep -> outside/inner; "root/deep/.." is "outside" for the kernel, not "root".
        var inner = Directory.CreateDirectory(Path.Combine(_outside, "inner")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(_root, "deep"), inner);
        await AssertDeniedEverywhereAsync($"file://{_root}/deep/../secret");
    }

    [Fact]
    public async Task Relative_symlink_staying_inside_is_allowed()
    {
        Directory.CreateDirectory(Path.Combine(_root, "real"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "alias"), "real");
        await _store.PutAsync($"file://{_root}/alias/x", new byte[] { 5 }, CancellationToken.None);
        Assert.Equal(new byte[] { 5 }, await File.ReadAllBytesAsync(Path.Combine(_root, "real", "x")));
    }

    [Fact]
    public async Task Root_reached_through_a_symlink_still_confines()
    {
        var rootLink = _temp.Combine("root-link");
        Directory.CreateSymbolicLink(rootLink, _root);
        using var store = TestStores.Router(TestStores.SmallChunkOptions(null, rootLink));

        await store.PutAsync($"file://{_root}/via-real-path", new byte[] { 1 }, CancellationToken.None);
        await store.PutAsync($"file://{rootLink}/via-link", new byte[] { 2 }, CancellationToken.None);
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => store.GetAsync($"file://{_outside}/secret", CancellationToken.None));
    }

    [Fact]
    public async Task Multipart_part_uris_stay_inside_the_root()
    {
        var uri = $"file://{_root}/out/blob";
        var uploadId = await _store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var part = await _store.PresignUploadPartAsync(uri, uploadId, 1, CancellationToken.None);
        Assert.StartsWith($"file://{_root}/out/", part, StringComparison.Ordinal);
        await _store.AbortMultipartUploadAsync(uri, uploadId, CancellationToken.None);
    }

    [Theory]
    [InlineData("http://example.com/x")]
    [InlineData("https://bucket.s3.amazonaws.com/key")]
    [InlineData("gs://bucket/key")]
    [InlineData("FILE:///etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public async Task Unknown_schemes_are_refused(string uri)
    {
        await AssertDeniedEverywhereAsync(uri);
    }

    [Fact]
    public async Task Relative_and_nul_paths_are_refused()
    {
        await AssertDeniedEverywhereAsync("file://relative/x");
        await AssertDeniedEverywhereAsync($"file://{_root}/a\0b");
    }

    private async Task AssertDeniedEverywhereAsync(string uri)
    {
        var ct = CancellationToken.None;
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => _store.GetAsync(uri, ct));
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => _store.GetRangeAsync(uri, 0, 1, ct));
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => _store.GetSizeAsync(uri, ct));
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => _store.PutAsync(uri, new byte[] { 0 }, ct));
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => _store.PresignGetAsync(uri, ct));
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => _store.CreateMultipartUploadAsync(uri, ct));
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => _store.PresignUploadPartAsync(uri, "0123456789abcdef0123456789abcdef", 1, ct));
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => _store.CompleteMultipartUploadAsync(uri, "0123456789abcdef0123456789abcdef", [], ct));
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => _store.AbortMultipartUploadAsync(uri, "0123456789abcdef0123456789abcdef", ct));
    }
}
