namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>
/// Runs work one turn at a time, as a grain's scheduler does: an allocation run and everything it awaits resumes
/// here, never concurrently with itself or with what the test does through <see cref="RunAsync{T}(Func{Task{T}})"/>.
/// </summary>
internal sealed class TurnScheduler
{
    private readonly TaskScheduler _scheduler = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;

    public Task<T> RunAsync<T>(Func<Task<T>> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.None, _scheduler).Unwrap();

    public Task RunAsync(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.None, _scheduler).Unwrap();

    public Task RunAsync(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.None, _scheduler);

    /// <summary>Lets the turns queued so far (and the few they queue in turn) run before the caller goes on.</summary>
    public async Task SettleAsync()
    {
        for (var i = 0; i < 20; i++)
        {
            await RunAsync(() => { });
        }
    }
}
