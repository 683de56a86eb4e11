var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/monitoring/startup", () => Results.Json(new { status = "ok" }));
app.Run();
