namespace Executor.HostResources;

/// <summary>Runs the nvidia-smi GPU query; a seam so detection can be tested without NVIDIA hardware.</summary>
public interface INvidiaSmiRunner
{
    /// <summary>
    /// The standard output of <c>nvidia-smi --query-gpu=index,name,uuid --format=csv,noheader</c>, or null when
    /// nvidia-smi is missing, fails or hangs (all of which mean "no GPUs" and are logged by the runner).
    /// </summary>
    Task<string?> QueryGpusAsync(CancellationToken cancellationToken);
}
