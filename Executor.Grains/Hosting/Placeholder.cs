namespace Executor.Hosting;

internal static class Placeholder
{
}
