using System.Security.Cryptography;
using Google.Protobuf;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// The current <see cref="AllocationState"/> of one allocation. Every change recomputes
/// <c>sha256_hash</c> (over the serialized state without the hash) and wakes the watchers,
/// which stream full snapshots. 0.1.2: a state with <c>result</c> is terminal. 0.1.3: the state
/// never has a result; <see cref="MarkFinished"/> ends the streams once they saw the last change.
/// </summary>
internal sealed class AllocationStateBox
{
    private readonly Lock _gate = new();
    private readonly AllocationState _state = new();
    private readonly TaskCompletionSource _firstWatched = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _finished;

    public AllocationStateBox()
    {
        lock (_gate)
        {
            Rehash();
        }
    }

    public bool HasResult
    {
        get
        {
            lock (_gate)
            {
                return _state.Result is not null;
            }
        }
    }

    /// <summary>0.1.3: true once the allocation is fully finished (<see cref="MarkFinished"/>).</summary>
    public bool IsFinished
    {
        get
        {
            lock (_gate)
            {
                return _finished;
            }
        }
    }

    /// <summary>Completes once a watcher has been sent a snapshot (the crash behaviour waits for it).</summary>
    public Task FirstWatched => _firstWatched.Task;

    public void Update(Action<AllocationState> mutate)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (_state.Result is not null)
            {
                throw new InvalidOperationException("the allocation already has its result");
            }

            mutate(_state);
            Rehash();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public AllocationState Snapshot()
    {
        lock (_gate)
        {
            return _state.Clone();
        }
    }

    /// <summary>0.1.3: no more changes; watchers that saw the current state end.</summary>
    public void MarkFinished()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _finished = true;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>
    /// Returns a copy once the state differs from <paramref name="lastSeenHash"/>, or at once when it has a result;
    /// null when finished (0.1.3) and the caller has seen the last state.
    /// </summary>
    public async Task<AllocationState?> WaitForChangeAsync(string? lastSeenHash, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_state.Sha256Hash != lastSeenHash || _state.Result is not null)
                {
                    return _state.Clone();
                }

                if (_finished)
                {
                    return null;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void MarkWatched() => _firstWatched.TrySetResult();

    private void Rehash()
    {
        _state.ClearSha256Hash();
        // No map fields in AllocationState, so the C# serialization is deterministic.
        _state.Sha256Hash = Convert.ToHexStringLower(SHA256.HashData(_state.ToByteArray()));
    }
}
