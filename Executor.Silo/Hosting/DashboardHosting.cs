using System.Runtime.CompilerServices;
using Orleans.Dashboard;

namespace Executor.Silo.Hosting;

/// <summary>
/// The Orleans dashboard (on in Development or with <c>--dashboard</c>). Its calls live here, never inlined, because the
/// JIT resolves every type a method mentions when it compiles the method: <see cref="ExecutorHost"/> no longer needs
/// the dashboard's types, so its middleware and services are not set up when it is off. (Orleans itself still opens
/// the assembly at startup: it lists it as an application part.)
/// </summary>
internal static class DashboardHosting
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Add(ISiloBuilder silo) => silo.AddDashboard(o => o.CounterUpdateIntervalMs = 1000);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Map(WebApplication app) => app.MapOrleansDashboard(routePrefix: "/dashboard");
}
