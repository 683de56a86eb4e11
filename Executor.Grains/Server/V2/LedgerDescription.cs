using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;

namespace Executor.Server.V2;

/// <summary>
/// /state/desired for protocol v2: what the Server currently wants here according to the commands applied so far
/// (containers, allocations with their cancellation, routed function-call results) and the sequence cursors, as
/// protobuf text (the messages as received) or JSON.
/// </summary>
internal static class LedgerDescription
{
    public static string Format(CommandLedger ledger, bool json) => json ? Json(ledger) : Text(ledger);

    private static string Text(CommandLedger ledger)
    {
        var sb = new StringBuilder();
        sb.Append("last_command_seq: ").Append(ledger.Commands.LastApplied.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("last_result_seq: ").Append(ledger.Results.LastApplied.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("version: ").Append(ledger.Version.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var container in ledger.ContainerWires)
        {
            ProtoTextFormatter.AppendBlock(sb, "container", container, 0);
        }

        foreach (var (allocation, cancelled) in ledger.AllocationWires)
        {
            ProtoTextFormatter.AppendBlock(sb, cancelled ? "cancelled_allocation" : "allocation", allocation, 0);
        }

        foreach (var (parent, result) in ledger.ResultWires)
        {
            sb.Append("function_call_result {\n  parent_allocation_id: \"").Append(parent.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append("\"\n");
            ProtoTextFormatter.AppendBlock(sb, "result", result, 1);
            sb.Append("}\n");
        }

        return sb.ToString();
    }

    private static string Json(CommandLedger ledger)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("lastCommandSeq", ledger.Commands.LastApplied);
            writer.WriteNumber("lastResultSeq", ledger.Results.LastApplied);
            writer.WriteNumber("version", ledger.Version);
            writer.WriteStartArray("containers");
            foreach (var container in ledger.ContainerWires)
            {
                WriteMessage(writer, container);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("allocations");
            foreach (var (allocation, cancelled) in ledger.AllocationWires)
            {
                writer.WriteStartObject();
                writer.WriteBoolean("cancelled", cancelled);
                writer.WritePropertyName("allocation");
                WriteMessage(writer, allocation);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("functionCallResults");
            foreach (var (parent, result) in ledger.ResultWires)
            {
                writer.WriteStartObject();
                writer.WriteString("parentAllocationId", parent);
                writer.WritePropertyName("result");
                WriteMessage(writer, result);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteMessage(Utf8JsonWriter writer, IMessage message) => writer.WriteRawValue(JsonFormatter.Default.Format(message), skipInputValidation: true);
}
