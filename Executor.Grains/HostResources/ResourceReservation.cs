namespace Executor.HostResources;

/// <summary>Result of <see cref="ResourceLedger.TryReserve"/>: success with the GPUs given to the FE, or a reason it was refused.</summary>
public sealed record ResourceReservation(bool Succeeded, string? FailureReason, IReadOnlyList<GpuDevice> Gpus)
{
    public static ResourceReservation Granted(IReadOnlyList<GpuDevice> gpus) => new(true, null, gpus);

    public static ResourceReservation Refused(string reason) => new(false, reason, []);
}
