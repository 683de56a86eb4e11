namespace Executor.Protocol.Tests.Contract;

/// <summary>
/// Reads a section written as the changes against another one (section 4, Server protocol v2, against section 1) as the
/// complete section it describes: the base's services replaced by the section's own, every enum and message in its
/// change table taken from the base when "unchanged" and from the section's own tables when changed, new or renamed,
/// and the base items listed as removed (or renamed away) dropped. Anything the two disagree on (an unchanged item the
/// base lacks, a table without a change row, a base item the changes never mention, ...) becomes a parse error of the
/// result, so a reference that does not add up fails the drift check instead of hiding types.
/// </summary>
public static class SectionComposer
{
    public static ContractSection Compose(ContractSection changes, ContractSection baseSection)
    {
        var errors = new List<string>(changes.ParseErrors);
        var where = $"§{changes.Id} (based on §{baseSection.Id})";
        var package = changes.Package ?? baseSection.Package;

        var services = baseSection.Services.Where(b => changes.Services.All(c => c.FullName != b.FullName)).Concat(changes.Services).ToList();

        var enums = Apply("enum", changes.Enums, baseSection.Enums, e => e.Name, e => package is null ? e : e with { Package = package });
        var messages = Apply("message", changes.Messages, baseSection.Messages, m => m.Name, m => package is null ? m : m with { Package = package });

        return changes with
        {
            Package = package,
            Services = services,
            Enums = enums,
            Messages = messages,
            ParseErrors = errors,
            BasedOn = null,
        };

        List<T> Apply<T>(string kind, IReadOnlyList<T> own, IReadOnlyList<T> inherited, Func<T, string> name, Func<T, T> rehome)
        {
            var ownByName = own.ToDictionary(name, StringComparer.Ordinal);
            var baseByName = inherited.ToDictionary(name, StringComparer.Ordinal);
            var accounted = new HashSet<string>(StringComparer.Ordinal);
            var described = new HashSet<string>(StringComparer.Ordinal);
            var result = new List<T>();

            foreach (var change in (changes.Changes ?? []).Where(c => c.Kind == kind))
            {
                if (!described.Add(change.Name))
                {
                    errors.Add($"{where}: {kind} {change.Name} has more than one row in the change table");
                    continue;
                }

                var hasOwn = ownByName.TryGetValue(change.Name, out var mine);
                var hasBase = baseByName.ContainsKey(change.Name);
                switch (change.Status)
                {
                    case ChangeStatus.Unchanged when hasOwn:
                        errors.Add($"{where}: {kind} {change.Name} is marked unchanged but has its own table");
                        break;
                    case ChangeStatus.Unchanged when !hasBase:
                        errors.Add($"{where}: {kind} {change.Name} is marked unchanged but §{baseSection.Id} has no such {kind}");
                        break;
                    case ChangeStatus.Unchanged:
                        accounted.Add(change.Name);
                        result.Add(rehome(baseByName[change.Name]));
                        break;
                    case var _ when !hasOwn:
                        errors.Add($"{where}: {kind} {change.Name} is marked {Describe(change)} but has no table of its own");
                        break;
                    case ChangeStatus.Changed when !hasBase:
                        errors.Add($"{where}: {kind} {change.Name} is marked changed but §{baseSection.Id} has no such {kind}");
                        break;
                    case ChangeStatus.New when hasBase:
                        errors.Add($"{where}: {kind} {change.Name} is marked new but §{baseSection.Id} already has it");
                        break;
                    case ChangeStatus.Renamed when !baseByName.ContainsKey(change.RenamedFrom!):
                        errors.Add($"{where}: {kind} {change.Name} is {Describe(change)}, which §{baseSection.Id} does not have");
                        break;
                    default:
                        accounted.Add(change.Status == ChangeStatus.Renamed ? change.RenamedFrom! : change.Name);
                        result.Add(mine!);
                        break;
                }
            }

            foreach (var n in ownByName.Keys.Where(n => !described.Contains(n)))
            {
                errors.Add($"{where}: {kind} {n} has a table but no row in the change table");
            }

            foreach (var removed in (changes.Removed ?? []).Where(r => r.Kind == kind))
            {
                if (!baseByName.ContainsKey(removed.Name))
                {
                    errors.Add($"{where}: {kind} {removed.Name} is listed as removed but §{baseSection.Id} has no such {kind}");
                }
                else if (!accounted.Add(removed.Name) || described.Contains(removed.Name))
                {
                    errors.Add($"{where}: {kind} {removed.Name} is listed as removed and also kept, changed or renamed");
                }
            }

            foreach (var n in baseByName.Keys.Where(n => !accounted.Contains(n)))
            {
                errors.Add($"{where}: §{baseSection.Id} {kind} {n} is neither unchanged, changed, renamed nor removed in the change table");
            }

            return result;
        }
    }

    private static string Describe(ChangeSpec change) => change.Status switch
    {
        ChangeStatus.Renamed => "renamed from " + change.RenamedFrom,
        _ => change.Status.ToString().ToLowerInvariant(),
    };
}
