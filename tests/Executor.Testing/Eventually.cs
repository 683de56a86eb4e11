using System.Diagnostics;

namespace Executor.Testing;

/// <summary>Polls a condition until it holds or a deadline passes; tests never sleep and hope.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, TimeSpan? timeout = null, string? because = null, TimeSpan? pollInterval = null)
        where T : class
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        var interval = pollInterval ?? TimeSpan.FromMilliseconds(20);
        Exception? last = null;
        while (true)
        {
            try
            {
                var value = await probe().ConfigureAwait(false);
                if (value is not null)
                {
                    return value;
                }
            }
            catch (Exception ex) when (deadline.Elapsed < limit)
            {
                last = ex;
            }

            if (deadline.Elapsed >= limit)
            {
                throw new TimeoutException($"Condition not met within {limit.TotalSeconds:0.#} s: {because ?? "(no description)"}", last);
            }

            await Task.Delay(interval).ConfigureAwait(false);
        }
    }

    public static Task<T> UntilNotNullAsync<T>(Func<T?> probe, TimeSpan? timeout = null, string? because = null)
        where T : class
        => UntilAsync(() => Task.FromResult(probe()), timeout, because);

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? because = null)
        => await UntilAsync<object>(async () => await condition().ConfigureAwait(false) ? new object() : null, timeout, because).ConfigureAwait(false);

    public static Task TrueAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
        => TrueAsync(() => Task.FromResult(condition()), timeout, because);
}
