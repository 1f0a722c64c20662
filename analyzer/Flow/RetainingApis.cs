using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>How a catalogue entry finds its method.</summary>
    internal enum RetainingMatch
    {
        /// <summary>
        /// A P/Invoke: an <c>extern</c> or <c>[LibraryImport]</c> method whose entry point (the attribute's
        /// <c>EntryPoint</c>, else the method name) is the entry's name. A managed method that merely has that name
        /// is not matched.
        /// </summary>
        EntryPoint,

        /// <summary>
        /// Any method of that name, and any P/Invoke with that entry point. Only for the APIs that C# bindings have
        /// to write in managed code (liburing's <c>io_uring_prep_*</c> and the verbs' <c>ibv_post_*</c> are
        /// <c>static inline</c> in C) and for the overlapped set that the analyzers always matched by name.
        /// </summary>
        AnyMethod,

        /// <summary>A managed wrapper: a method of that name on one of the listed binding types.</summary>
        Binding,
    }

    /// <summary>What the kept parameter holds.</summary>
    internal enum KeptThrough
    {
        /// <summary>The pointer passed is the memory that is kept.</summary>
        Direct,

        /// <summary>
        /// The parameter is a descriptor (a struct or an array of them) that the call copies; the memory its
        /// fields point to is kept. Reported only when the argument carries the pinned address inside a struct
        /// (<c>&amp;buffer</c>, a struct value, an object), never when the pinned pointer is the descriptor itself.
        /// </summary>
        Descriptor,
    }

    /// <summary>
    /// One native API (or managed wrapper) that keeps a caller's pointer after it returns, and why: a row of the
    /// catalogue in <see cref="RetainingApis"/>. See DESIGN.md, "Retaining calls", and docs/rules/PIN2002.md.
    /// </summary>
    internal sealed class RetainingApi
    {
        private readonly Func<IOperation, bool>? _condition;
        private readonly Func<IOperation, bool>? _longTerm;

        internal RetainingApi(
            string library,
            string name,
            RetainingMatch match,
            ImmutableArray<string> bindingTypes,
            int keptIndex,
            ImmutableArray<string> keptNames,
            KeptThrough through,
            Func<IOperation, bool>? condition,
            string? conditionText,
            Func<IOperation, bool>? longTerm,
            string? longTermText,
            string reason,
            string source,
            string? summary,
            bool isPrefix)
        {
            Library = library;
            Name = name;
            Match = match;
            BindingTypes = bindingTypes;
            KeptIndex = keptIndex;
            KeptNames = keptNames;
            Through = through;
            _condition = condition;
            ConditionText = conditionText;
            _longTerm = longTerm;
            LongTermText = longTermText;
            Reason = reason;
            Source = source;
            Summary = summary;
            IsPrefix = isPrefix;
        }

        /// <summary>The library, for the documentation table ("SQLite", "SDL 3").</summary>
        internal string Library { get; }

        /// <summary>The entry point or method name; a prefix when <see cref="IsPrefix"/>.</summary>
        internal string Name { get; }

        internal bool IsPrefix { get; }

        internal RetainingMatch Match { get; }

        /// <summary>For <see cref="RetainingMatch.Binding"/>: the fully qualified names of the binding types.</summary>
        internal ImmutableArray<string> BindingTypes { get; }

        /// <summary>The kept parameter's index (0-based, the receiver not counted); -1 with no names: every parameter.</summary>
        internal int KeptIndex { get; }

        /// <summary>Names the kept parameter has in the bindings; when the method has one of them, it decides over the index.</summary>
        internal ImmutableArray<string> KeptNames { get; }

        internal KeptThrough Through { get; }

        /// <summary>The condition on the call in words, for the documentation table; null when there is none.</summary>
        internal string? ConditionText { get; }

        /// <summary>When the pin it needs is long-term (PIN4001), in words; null when it never is.</summary>
        internal string? LongTermText { get; }

        /// <summary>Why the API keeps the pointer, in one line.</summary>
        internal string Reason { get; }

        /// <summary>Where the library documents it (a URL or a document name).</summary>
        internal string Source { get; }

        /// <summary>The reason as the PIN2002 message names it; null for the asynchronous-I/O entries, whose message names the pending request instead.</summary>
        internal string? Summary { get; }

        internal bool KeepsEveryParameter => KeptIndex < 0 && KeptNames.IsEmpty;

        /// <summary>
        /// True when the API needs a long-term pin for this call (PIN4001): the pages stay registered with a device
        /// after the call (<c>ibv_reg_mr</c> without on-demand paging, <c>io_uring_register_buffers</c>).
        /// </summary>
        internal bool IsLongTerm(IOperation call) => _longTerm is not null && _longTerm(call);

        /// <summary>True when <paramref name="parameter"/> of <paramref name="method"/> is the kept one and the condition holds for <paramref name="call"/>.</summary>
        internal bool Keeps(IMethodSymbol method, IParameterSymbol? parameter, IOperation call)
        {
            if (!KeepsEveryParameter)
            {
                if (parameter is null || !IsKeptParameter(method, parameter))
                {
                    return false;
                }

                if (Through == KeptThrough.Descriptor && !CarriesAddressInside(RetainingApis.ArgumentFor(call, parameter.Ordinal)))
                {
                    return false;
                }
            }

            return _condition is null || _condition(call);
        }

        /// <summary>The kept parameter in words, for the documentation table.</summary>
        internal string KeptText
        {
            get
            {
                if (KeepsEveryParameter)
                {
                    return "every pointer argument";
                }

                var text = new StringBuilder();
                if (!KeptNames.IsEmpty)
                {
                    text.Append('`').Append(string.Join("` / `", KeptNames)).Append('`');
                }

                if (KeptIndex >= 0)
                {
                    text.Append(text.Length == 0 ? "#" : " (else #").Append(KeptIndex.ToString(CultureInfo.InvariantCulture));
                    if (!KeptNames.IsEmpty)
                    {
                        text.Append(')');
                    }
                }

                if (Through == KeptThrough.Descriptor)
                {
                    text.Append(", the memory its entries point to");
                }

                return text.ToString();
            }
        }

        private bool IsKeptParameter(IMethodSymbol method, IParameterSymbol parameter)
        {
            if (!KeptNames.IsEmpty)
            {
                var named = false;
                foreach (var candidate in method.Parameters)
                {
                    if (RetainingApis.HasName(KeptNames, candidate.Name))
                    {
                        if (candidate.Ordinal == parameter.Ordinal)
                        {
                            return true;
                        }

                        named = true;
                    }
                }

                if (named)
                {
                    return false;
                }
            }

            return KeptIndex >= 0 && parameter.Ordinal == KeptIndex;
        }

        /// <summary>
        /// For a descriptor: the argument holds the pinned address inside a value — the address of a struct variable,
        /// a struct value, an object — rather than being the pinned pointer itself (the descriptor is copied).
        /// </summary>
        private static bool CarriesAddressInside(IArgumentOperation? argument)
        {
            if (argument is null)
            {
                return false;
            }

            var value = argument.Value.WalkDownConversions();
            if (value is IAddressOfOperation addressOf)
            {
                return addressOf.Reference.WalkDownConversions() is ILocalReferenceOperation or IParameterReferenceOperation
                    && addressOf.Reference.Type is { IsValueType: true };
            }

            var type = value?.Type;
            return type is not null
                && type is not IPointerTypeSymbol and not IFunctionPointerTypeSymbol
                && type.SpecialType is not (SpecialType.System_IntPtr or SpecialType.System_UIntPtr);
        }
    }

    /// <summary>
    /// The catalogue of native APIs that keep the caller's pointer after they return (DESIGN.md, "Retaining calls"):
    /// one data table, one row per API and kept parameter, each with the documentation that says so. Looked up by
    /// name in a dictionary; binding types, entry points and conditions are checked only on a name hit.
    /// docs/rules/PIN2002.md lists the table; a test fails when the page and this table drift apart.
    /// </summary>
    internal static class RetainingApis
    {
        private const int FtOpenMemory = 0x1;
        private const int IbvAccessOnDemand = 64;
        private const long CurlOptPostFields = 10015;
        private const long CurlOptErrorBuffer = 10010;

        private static readonly ImmutableArray<string> s_imGuiAtlases = ImmutableArray.Create(
            "ImGuiNET.ImFontAtlasPtr", "Hexa.NET.ImGui.ImFontAtlasPtr", "Hexa.NET.ImGui.ImGui");

        private static readonly ImmutableArray<string> s_sourceVoices = ImmutableArray.Create(
            "SharpDX.XAudio2.SourceVoice", "Vortice.XAudio2.IXAudio2SourceVoice", "TerraFX.Interop.DirectX.IXAudio2SourceVoice");

        /// <summary>The catalogue, in documentation order.</summary>
        internal static readonly ImmutableArray<RetainingApi> All = Build();

        private static readonly Dictionary<string, ImmutableArray<RetainingApi>> s_byName = Index(All);

        private static readonly ImmutableArray<RetainingApi> s_prefixes = All.RemoveAll(api => !api.IsPrefix);

        /// <summary>
        /// The catalogue entry that keeps <paramref name="parameter"/> of <paramref name="method"/> in this
        /// <paramref name="call"/>, or null. PIN4001 asks the entry <see cref="RetainingApi.IsLongTerm"/>.
        /// </summary>
        internal static RetainingApi? Find(IMethodSymbol method, IParameterSymbol? parameter, IOperation call)
        {
            var name = method.Name;
            var entryPoint = EntryPoint(method);
            if (s_byName.TryGetValue(name, out var byMethodName)
                && FindIn(byMethodName, method, parameter, call, entryPoint, byEntryPoint: false) is { } found)
            {
                return found;
            }

            if (entryPoint is not null
                && !string.Equals(entryPoint, name, StringComparison.Ordinal)
                && s_byName.TryGetValue(entryPoint, out var byEntryPoint)
                && FindIn(byEntryPoint, method, parameter, call, entryPoint, byEntryPoint: true) is { } native)
            {
                return native;
            }

            foreach (var prefixed in s_prefixes)
            {
                if ((name.StartsWith(prefixed.Name, StringComparison.Ordinal) || (entryPoint?.StartsWith(prefixed.Name, StringComparison.Ordinal) ?? false))
                    && prefixed.Keeps(method, parameter, call))
                {
                    return prefixed;
                }
            }

            return null;
        }

        private static RetainingApi? FindIn(ImmutableArray<RetainingApi> entries, IMethodSymbol method, IParameterSymbol? parameter, IOperation call, string? entryPoint, bool byEntryPoint)
        {
            foreach (var api in entries)
            {
                var matches = api.Match switch
                {
                    RetainingMatch.EntryPoint => string.Equals(entryPoint, api.Name, StringComparison.Ordinal),
                    RetainingMatch.AnyMethod => true,
                    _ => !byEntryPoint && IsBindingType(method.ContainingType, api.BindingTypes),
                };

                if (matches && api.Keeps(method, parameter, call))
                {
                    return api;
                }
            }

            return null;
        }

        /// <summary>The entry point of a P/Invoke (DllImport/LibraryImport <c>EntryPoint</c>, else its name); null for a managed method.</summary>
        private static string? EntryPoint(IMethodSymbol method)
        {
            if (method.IsExtern)
            {
                return method.GetDllImportData()?.EntryPointName ?? method.Name;
            }

            if (LibraryImport(method) is not { } attribute)
            {
                return null;
            }

            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key == "EntryPoint" && argument.Value.Value is string entryPoint && entryPoint.Length > 0)
                {
                    return entryPoint;
                }
            }

            return method.Name;
        }

        private static AttributeData? LibraryImport(IMethodSymbol method)
        {
            if (!method.IsStatic || method.MethodKind != MethodKind.Ordinary)
            {
                return null;
            }

            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass?.Name == "LibraryImportAttribute")
                {
                    return attribute;
                }
            }

            return null;
        }

        private static bool IsBindingType(INamedTypeSymbol? type, ImmutableArray<string> bindingTypes)
        {
            if (type is null)
            {
                return false;
            }

            var name = QualifiedName(type);
            foreach (var binding in bindingTypes)
            {
                if (string.Equals(binding, name, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        internal static string QualifiedName(INamedTypeSymbol type)
        {
            var name = type.Name;
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                name = outer.Name + "." + name;
            }

            var ns = type.ContainingNamespace;
            return ns is null || ns.IsGlobalNamespace ? name : ns.ToDisplayString() + "." + name;
        }

        /// <summary>Parameter names compare without case and underscores: <c>font_data</c> is <c>fontData</c>.</summary>
        internal static bool HasName(ImmutableArray<string> names, string name)
        {
            foreach (var candidate in names)
            {
                if (string.Equals(Normalize(candidate), Normalize(name), StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        private static string Normalize(string name) => name.Replace("_", string.Empty).ToLowerInvariant();

        internal static IArgumentOperation? ArgumentFor(IOperation call, int ordinal)
        {
            foreach (var argument in Arguments(call))
            {
                if (argument.Parameter is { } parameter && parameter.Ordinal == ordinal)
                {
                    return argument;
                }
            }

            return null;
        }

        private static ImmutableArray<IArgumentOperation> Arguments(IOperation call) => call switch
        {
            IInvocationOperation invocation => invocation.Arguments,
            IObjectCreationOperation creation => creation.Arguments,
            _ => ImmutableArray<IArgumentOperation>.Empty,
        };

        // ---- conditions ----

        /// <summary>Windows asynchronous I/O: the OVERLAPPED argument (by parameter name or type name) is not null.</summary>
        private static bool HasNonNullOverlapped(IOperation call)
        {
            foreach (var argument in Arguments(call))
            {
                var parameter = argument.Parameter;
                if (parameter is null)
                {
                    continue;
                }

                var typeName = parameter.Type is IPointerTypeSymbol pointer ? pointer.PointedAtType.Name : parameter.Type.Name;
                if (parameter.Name.IndexOf("overlapped", StringComparison.OrdinalIgnoreCase) < 0
                    && typeName.IndexOf("OVERLAPPED", StringComparison.OrdinalIgnoreCase) < 0)
                {
                    continue;
                }

                return !IsNull(argument.Value);
            }

            return false;
        }

        /// <summary><c>null</c>, <c>default</c>, a zero constant, <c>IntPtr.Zero</c>/<c>UIntPtr.Zero</c>, <c>new IntPtr(0)</c>.</summary>
        internal static bool IsNull(IOperation? value)
        {
            var stripped = value.WalkDownConversions();
            if (stripped is IDefaultValueOperation || stripped is ILiteralOperation { ConstantValue: { HasValue: true, Value: null } })
            {
                return true;
            }

            if (stripped?.ConstantValue is { HasValue: true } constant)
            {
                return constant.Value is null || (IntegerValue(constant.Value) is { } integer && integer == 0);
            }

            if (stripped is IObjectCreationOperation { Type.SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr, Arguments.Length: 1 } creation)
            {
                return IsNull(creation.Arguments[0].Value);
            }

            return stripped is IFieldReferenceOperation { Field.Name: "Zero" } zero && zero.Field.ContainingType?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;
        }

        private static long? IntegerValue(object? value) => value switch
        {
            int i => i,
            long l => l,
            uint u => u,
            ulong ul when ul <= long.MaxValue => (long)ul,
            short s => s,
            ushort us => us,
            byte b => b,
            sbyte sb => sb,
            _ => null,
        };

        /// <summary>The constant integer an argument is written as (enum members included); null when not a constant.</summary>
        private static long? ConstantArgument(IOperation call, int ordinal)
        {
            var value = ArgumentFor(call, ordinal)?.Value;
            if (value is null)
            {
                return null;
            }

            var constant = value.ConstantValue.HasValue ? value.ConstantValue : value.WalkDownConversions()?.ConstantValue ?? default;
            return constant.HasValue ? IntegerValue(constant.Value) : null;
        }

        /// <summary>SQLite: the destructor (5th argument) is <c>SQLITE_STATIC</c> — 0, <c>null</c>, <c>default</c>, <c>IntPtr.Zero</c>, or a field named so.</summary>
        private static bool DestructorIsStatic(IOperation call)
        {
            var destructor = ArgumentFor(call, 4)?.Value;
            if (destructor is null)
            {
                return false;
            }

            if (destructor.WalkDownConversions() is IFieldReferenceOperation { ConstantValue.HasValue: false } field
                && field.Field.ContainingType?.SpecialType is not (SpecialType.System_IntPtr or SpecialType.System_UIntPtr))
            {
                // static readonly IntPtr SQLITE_STATIC = IntPtr.Zero, as some bindings declare it.
                return string.Equals(field.Field.Name, "SQLITE_STATIC", StringComparison.Ordinal);
            }

            return IsNull(destructor);
        }

        private static bool CurlOptionIs(IOperation call, long option) => ConstantArgument(call, 1) == option;

        /// <summary>
        /// Dear ImGui: the atlas keeps <c>font_data</c> unless <c>FontDataOwnedByAtlas</c> is false — and then, before
        /// 1.92, it copies the data. When the method sets <c>FontDataOwnedByAtlas = false</c> anywhere, stay silent.
        /// </summary>
        private static bool FontDataKeptByAtlas(IOperation call)
        {
            foreach (var operation in call.Root().Descendants())
            {
                if (operation is ISimpleAssignmentOperation assignment
                    && assignment.Target is IMemberReferenceOperation { Member.Name: "FontDataOwnedByAtlas" }
                    && assignment.Value.WalkDownConversions()?.ConstantValue is { HasValue: true } constant
                    && (constant.Value is false || (IntegerValue(constant.Value) is { } zero && zero == 0)))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// FreeType <c>FT_Open_Face</c>: the <c>FT_Open_Args</c> whose address is passed (a struct local) has a constant
        /// written to its <c>flags</c> in this method that includes <c>FT_OPEN_MEMORY</c>. Anything less certain (flags
        /// not written here, or not as a constant) is silent: with a path or a stream, nothing of the caller's is kept.
        /// </summary>
        private static bool OpensMemory(IOperation call)
        {
            var args = ArgumentFor(call, 1)?.Value.WalkDownConversions();
            var holder = args switch
            {
                IAddressOfOperation { Reference: ILocalReferenceOperation local } => local.Local,
                ILocalReferenceOperation local => local.Local,
                _ => null,
            };

            if (holder is null)
            {
                return false;
            }

            var memory = false;
            foreach (var operation in call.Root().Descendants())
            {
                IOperation? written = null;
                switch (operation)
                {
                    case ISimpleAssignmentOperation { Target: IMemberReferenceOperation { Member.Name: var member, Instance: ILocalReferenceOperation target } } assignment
                        when string.Equals(member, "flags", StringComparison.OrdinalIgnoreCase) && SymbolEqualityComparer.Default.Equals(target.Local, holder):
                        written = assignment.Value;
                        break;
                    case ISimpleAssignmentOperation { Target: IMemberReferenceOperation { Member.Name: var member, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } } } initializer
                        when string.Equals(member, "flags", StringComparison.OrdinalIgnoreCase) && InitializesLocal(initializer, holder):
                        written = initializer.Value;
                        break;
                }

                if (written is null)
                {
                    continue;
                }

                if (IntegerValue(written.WalkDownConversions()?.ConstantValue is { HasValue: true } constant ? constant.Value : null) is not { } flags)
                {
                    return false;
                }

                memory |= (flags & FtOpenMemory) != 0;
            }

            return memory;
        }

        /// <summary>An object-initializer assignment inside <c>holder = new T { ... }</c> (or its declaration).</summary>
        private static bool InitializesLocal(IOperation initializer, ILocalSymbol holder)
        {
            for (var current = initializer.Parent; current is not null; current = current.Parent)
            {
                if (current is IObjectCreationOperation creation)
                {
                    switch (creation.Parent.WalkUpConversions())
                    {
                        case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                            return SymbolEqualityComparer.Default.Equals(declarator.Symbol, holder);
                        case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local }:
                            return SymbolEqualityComparer.Default.Equals(local.Local, holder);
                        default:
                            return false;
                    }
                }
            }

            return false;
        }

        private static IOperation? WalkUpConversions(this IOperation? operation)
        {
            while (operation is IConversionOperation or IParenthesizedOperation)
            {
                operation = operation.Parent;
            }

            return operation;
        }

        /// <summary><c>ibv_reg_mr</c>: long-term unless the access flags are a constant that includes <c>IBV_ACCESS_ON_DEMAND</c>.</summary>
        private static Func<IOperation, bool> NotOnDemand(int accessIndex) => call =>
        {
            var access = AccessArgument(call, accessIndex);
            return access is null || (access.Value & IbvAccessOnDemand) == 0;
        };

        private static long? AccessArgument(IOperation call, int fallback)
        {
            foreach (var argument in Arguments(call))
            {
                if (argument.Parameter is { } parameter && string.Equals(parameter.Name, "access", StringComparison.OrdinalIgnoreCase))
                {
                    return ConstantArgument(call, parameter.Ordinal);
                }
            }

            return ConstantArgument(call, fallback);
        }

        private static bool Always(IOperation call) => true;

        // ---- the table ----

        private static ImmutableArray<RetainingApi> Build()
        {
            var rows = ImmutableArray.CreateBuilder<RetainingApi>();

            void Add(
                string library,
                string name,
                RetainingMatch match,
                int keptIndex,
                string reason,
                string source,
                string? summary,
                string[]? names = null,
                ImmutableArray<string> types = default,
                KeptThrough through = KeptThrough.Direct,
                Func<IOperation, bool>? condition = null,
                string? conditionText = null,
                Func<IOperation, bool>? longTerm = null,
                string? longTermText = null,
                bool prefix = false)
                => rows.Add(new RetainingApi(
                    library,
                    name,
                    match,
                    types.IsDefault ? ImmutableArray<string>.Empty : types,
                    keptIndex,
                    names is null ? ImmutableArray<string>.Empty : ImmutableArray.Create(names),
                    through,
                    condition,
                    conditionText,
                    longTerm,
                    longTermText,
                    reason,
                    source,
                    summary,
                    prefix));

            // Asynchronous I/O and RDMA: every pointer argument, as the analyzers always did. The message names the
            // pending request instead of a summary (see AsyncRequest).
            const string Aio = "The control block and its buffer are used until the request completes (aio_error no longer EINPROGRESS).";
            const string AioSource = "aio_read(3), aio_write(3): man7.org/linux/man-pages/man3/aio_read.3.html";
            foreach (var name in new[] { "aio_read", "aio_write", "aio_read64", "aio_write64" })
            {
                Add("POSIX AIO", name, RetainingMatch.AnyMethod, -1, Aio, AioSource, null);
            }

            Add("liburing", "io_uring_prep_", RetainingMatch.AnyMethod, -1,
                "The buffer of a submission is read or written when the kernel runs it, until its completion is reaped (the prep helpers are static inline in liburing, so bindings write them in C#).",
                "io_uring_prep_read(3): man7.org/linux/man-pages/man3/io_uring_prep_read.3.html", null, prefix: true);
            foreach (var name in new[] { "io_uring_register_buffers", "io_uring_register_buffers_tags" })
            {
                Add("liburing", name, RetainingMatch.AnyMethod, -1,
                    "The buffers stay registered (their pages pinned long-term) until io_uring_unregister_buffers.",
                    "io_uring_register_buffers(3): man7.org/linux/man-pages/man3/io_uring_register_buffers.3.html", null,
                    longTerm: Always, longTermText: "always");
            }

            Add("libibverbs", "ibv_reg_mr", RetainingMatch.AnyMethod, -1,
                "The region is registered for device DMA until ibv_dereg_mr.",
                "ibv_reg_mr(3): man7.org/linux/man-pages/man3/ibv_reg_mr.3.html", null,
                longTerm: NotOnDemand(3), longTermText: "unless `access` includes IBV_ACCESS_ON_DEMAND (64)");
            foreach (var name in new[] { "ibv_reg_mr_iova", "ibv_reg_mr_iova2" })
            {
                Add("libibverbs", name, RetainingMatch.AnyMethod, -1,
                    "The region is registered for device DMA until ibv_dereg_mr.",
                    "ibv_reg_mr(3): man7.org/linux/man-pages/man3/ibv_reg_mr.3.html", null,
                    longTerm: NotOnDemand(4), longTermText: "unless `access` includes IBV_ACCESS_ON_DEMAND (64)");
            }

            foreach (var name in new[] { "ibv_post_send", "ibv_post_recv" })
            {
                Add("libibverbs", name, RetainingMatch.AnyMethod, -1,
                    "The work requests' buffers are used until their work completions are polled (static inline in verbs.h).",
                    "ibv_post_send(3): man7.org/linux/man-pages/man3/ibv_post_send.3.html", null);
            }

            foreach (var name in new[]
            {
                "ReadFile", "WriteFile", "ReadFileEx", "WriteFileEx", "DeviceIoControl", "WSARecv", "WSASend", "WSARecvFrom",
                "WSASendTo", "ReadDirectoryChangesW", "ConnectNamedPipe", "TransmitFile", "AcceptEx",
            })
            {
                Add("Win32 overlapped I/O", name, RetainingMatch.AnyMethod, -1,
                    "With an OVERLAPPED the call may return before the I/O is done; the buffer must stay valid until it completes.",
                    "ReadFile: learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-readfile", null,
                    condition: HasNonNullOverlapped, conditionText: "the OVERLAPPED argument is not null");
            }

            // Dear ImGui, through cimgui's entry points and the ImGui.NET / Hexa.NET.ImGui wrappers.
            const string FontData = "The atlas keeps font_data without copying it and by default frees it itself (ImFontConfig::FontDataOwnedByAtlas = true).";
            const string FontDataSource = "imgui.h, ImFontConfig::FontDataOwnedByAtlas";
            const string FontDataSummary = "the font atlas keeps the font data (and frees it when FontDataOwnedByAtlas is true)";
            const string FontDataCondition = "the method does not set `FontDataOwnedByAtlas = false` (before 1.92 the atlas then copies)";
            const string Ranges = "The glyph ranges array is kept by the font config: \"the array data needs to persist as long as the font is alive\".";
            const string RangesSource = "imgui.h, ImFontConfig::GlyphRanges";
            const string RangesSummary = "the font atlas keeps the glyph ranges while the font is alive";
            var ranges = new[] { "glyph_ranges", "glyphRanges" };
            Add("Dear ImGui (cimgui)", "ImFontAtlas_AddFontFromMemoryTTF", RetainingMatch.EntryPoint, 1, FontData, FontDataSource, FontDataSummary,
                names: new[] { "font_data", "fontData" }, condition: FontDataKeptByAtlas, conditionText: FontDataCondition);
            Add("Dear ImGui (cimgui)", "ImFontAtlas_AddFontFromMemoryTTF", RetainingMatch.EntryPoint, 5, Ranges, RangesSource, RangesSummary, names: ranges);
            Add("Dear ImGui (cimgui)", "ImFontAtlas_AddFontFromMemoryCompressedTTF", RetainingMatch.EntryPoint, 5, Ranges + " The compressed data itself is decompressed into a copy.", RangesSource, RangesSummary, names: ranges);
            Add("Dear ImGui (cimgui)", "ImFontAtlas_AddFontFromMemoryCompressedBase85TTF", RetainingMatch.EntryPoint, 4, Ranges, RangesSource, RangesSummary, names: ranges);
            Add("Dear ImGui (cimgui)", "ImFontAtlas_AddFontFromFileTTF", RetainingMatch.EntryPoint, 4, Ranges, RangesSource, RangesSummary, names: ranges);
            Add("Dear ImGui (ImGui.NET, Hexa.NET.ImGui)", "AddFontFromMemoryTTF", RetainingMatch.Binding, 0, FontData, FontDataSource, FontDataSummary,
                names: new[] { "font_data", "fontData" }, types: s_imGuiAtlases, condition: FontDataKeptByAtlas, conditionText: FontDataCondition);
            Add("Dear ImGui (ImGui.NET, Hexa.NET.ImGui)", "AddFontFromMemoryTTF", RetainingMatch.Binding, 4, Ranges, RangesSource, RangesSummary, names: ranges, types: s_imGuiAtlases);
            Add("Dear ImGui (ImGui.NET, Hexa.NET.ImGui)", "AddFontFromMemoryCompressedTTF", RetainingMatch.Binding, 4, Ranges + " The compressed data itself is decompressed into a copy.", RangesSource, RangesSummary, names: ranges, types: s_imGuiAtlases);
            Add("Dear ImGui (ImGui.NET, Hexa.NET.ImGui)", "AddFontFromMemoryCompressedBase85TTF", RetainingMatch.Binding, 3, Ranges, RangesSource, RangesSummary, names: ranges, types: s_imGuiAtlases);
            Add("Dear ImGui (ImGui.NET, Hexa.NET.ImGui)", "AddFontFromFileTTF", RetainingMatch.Binding, 3, Ranges, RangesSource, RangesSummary, names: ranges, types: s_imGuiAtlases);

            // GDI+.
            const string MemoryFont = "GDI+ reads the font from that memory for as long as the collection and its fonts are used; it does not copy it.";
            const string MemoryFontSource = "learn.microsoft.com PrivateFontCollection.AddMemoryFont; stackoverflow.com/q/34620743 (memory must outlive the collection)";
            const string MemoryFontSummary = "GDI+ reads the font memory while the collection is in use";
            Add("GDI+ (System.Drawing)", "AddMemoryFont", RetainingMatch.Binding, 0, MemoryFont, MemoryFontSource, MemoryFontSummary,
                names: new[] { "memory" }, types: ImmutableArray.Create("System.Drawing.Text.PrivateFontCollection"));
            Add("GDI+ (flat API)", "GdipPrivateAddMemoryFont", RetainingMatch.EntryPoint, 1, MemoryFont, MemoryFontSource, MemoryFontSummary, names: new[] { "memory" });

            // FreeType.
            Add("FreeType", "FT_New_Memory_Face", RetainingMatch.EntryPoint, 1,
                "The face reads the font file from that buffer; \"you must not deallocate the memory before calling FT_Done_Face\".",
                "freetype.org/freetype2/docs/reference/ft2-face_creation.html#ft_new_memory_face",
                "FreeType reads the font buffer until FT_Done_Face", names: new[] { "file_base", "fileBase" });
            Add("FreeType", "FT_Open_Face", RetainingMatch.EntryPoint, 1,
                "With FT_OPEN_MEMORY the data at memory_base \"are not copied\"; the client releases them after FT_Done_Face.",
                "freetype.org/freetype2/docs/reference/ft2-face_creation.html#ft_open_args",
                "FreeType reads the memory stream until FT_Done_Face", names: new[] { "args" }, through: KeptThrough.Descriptor,
                condition: OpensMemory, conditionText: "`args.flags` is set in the method to a constant including FT_OPEN_MEMORY (1)");

            // SDL 2 and 3: SDL2-CS and SDL3-CS are P/Invokes (matched by entry point); Silk.NET wraps SDL 2 in Sdl.
            const string Stream = "The stream reads (and writes) that memory without copying it; the pointer must stay valid until the stream is closed.";
            const string StreamSummary = "the SDL stream uses the memory until it is closed";
            foreach (var name in new[] { "SDL_IOFromMem", "SDL_IOFromConstMem" })
            {
                Add("SDL 3", name, RetainingMatch.EntryPoint, 0, Stream, "wiki.libsdl.org/SDL3/" + name, StreamSummary, names: new[] { "mem" });
            }

            foreach (var name in new[] { "SDL_RWFromMem", "SDL_RWFromConstMem" })
            {
                Add("SDL 2", name, RetainingMatch.EntryPoint, 0, Stream, "wiki.libsdl.org/SDL2/" + name, StreamSummary, names: new[] { "mem" });
            }

            const string Surface = "\"No copy is made of the pixel data\": the surface must be freed before the pixels.";
            const string SurfaceSummary = "the surface uses the pixel data until it is freed";
            Add("SDL 3", "SDL_CreateSurfaceFrom", RetainingMatch.EntryPoint, 3, Surface + " (SDL 3.2: width, height, format, pixels, pitch.)", "wiki.libsdl.org/SDL3/SDL_CreateSurfaceFrom", SurfaceSummary, names: new[] { "pixels" });
            foreach (var name in new[] { "SDL_CreateRGBSurfaceFrom", "SDL_CreateRGBSurfaceWithFormatFrom" })
            {
                Add("SDL 2", name, RetainingMatch.EntryPoint, 0, Surface, "wiki.libsdl.org/SDL2/" + name, SurfaceSummary, names: new[] { "pixels" });
            }

            var silk = ImmutableArray.Create("Silk.NET.SDL.Sdl");
            foreach (var name in new[] { "RWFromMem", "RWFromConstMem" })
            {
                Add("SDL 2 (Silk.NET)", name, RetainingMatch.Binding, 0, Stream, "wiki.libsdl.org/SDL2/SDL_" + name, StreamSummary, names: new[] { "mem" }, types: silk);
            }

            foreach (var name in new[] { "CreateRGBSurfaceFrom", "CreateRGBSurfaceWithFormatFrom" })
            {
                Add("SDL 2 (Silk.NET)", name, RetainingMatch.Binding, 0, Surface, "wiki.libsdl.org/SDL2/SDL_" + name, SurfaceSummary, names: new[] { "pixels" }, types: silk);
            }

            const string Filters = "The dialog is asynchronous: the filters \"must remain valid at least until the callback is invoked\".";
            const string FiltersSummary = "SDL reads the filters when the dialog's callback runs";
            foreach (var name in new[] { "SDL_ShowOpenFileDialog", "SDL_ShowSaveFileDialog" })
            {
                Add("SDL 3", name, RetainingMatch.EntryPoint, 3, Filters, "wiki.libsdl.org/SDL3/" + name, FiltersSummary, names: new[] { "filters" });
            }

            foreach (var name in new[] { "SDL_SetPointerProperty", "SDL_SetPointerPropertyWithCleanup" })
            {
                Add("SDL 3", name, RetainingMatch.EntryPoint, 2,
                    "The property group stores the pointer itself; SDL_ShowFileDialogWithProperties reads its filters (SDL_PROP_FILE_DIALOG_FILTERS_POINTER) from there when the callback runs.",
                    "wiki.libsdl.org/SDL3/" + name + "; wiki.libsdl.org/SDL3/SDL_ShowFileDialogWithProperties",
                    "the property group stores the pointer itself", names: new[] { "value" });
            }

            // WinMM and ACM: the header (and the buffer it points to) belong to the driver from prepare to unprepare.
            const string WaveSource = "learn.microsoft.com/windows/win32/api/mmeapi/nf-mmeapi-";
            Add("WinMM", "waveOutPrepareHeader", RetainingMatch.EntryPoint, 1,
                "The prepared WAVEHDR and its lpData buffer must not move or be freed until waveOutUnprepareHeader.",
                WaveSource + "waveoutprepareheader", "the driver uses the header and its buffer until they are unprepared");
            Add("WinMM", "waveOutWrite", RetainingMatch.EntryPoint, 1,
                "Playback is asynchronous: the header and its buffer are in use until the driver sets WHDR_DONE.",
                WaveSource + "waveoutwrite", "the driver plays the buffer until it sets WHDR_DONE");
            Add("WinMM", "waveInPrepareHeader", RetainingMatch.EntryPoint, 1,
                "The prepared WAVEHDR and its lpData buffer must not move or be freed until waveInUnprepareHeader.",
                WaveSource + "waveinprepareheader", "the driver uses the header and its buffer until they are unprepared");
            Add("WinMM", "waveInAddBuffer", RetainingMatch.EntryPoint, 1,
                "Recording is asynchronous: the driver fills the buffer and sets WHDR_DONE when it is full.",
                WaveSource + "waveinaddbuffer", "the driver fills the buffer until it sets WHDR_DONE");
            Add("WinMM", "midiOutPrepareHeader", RetainingMatch.EntryPoint, 1,
                "The prepared MIDIHDR and its buffer must stay in place until midiOutUnprepareHeader.",
                WaveSource + "midioutprepareheader", "the driver uses the header and its buffer until they are unprepared");
            Add("ACM", "acmStreamPrepareHeader", RetainingMatch.EntryPoint, 1,
                "The prepared ACMSTREAMHEADER and its source and destination buffers belong to the ACM until acmStreamUnprepareHeader.",
                "learn.microsoft.com/windows/win32/api/msacm/nf-msacm-acmstreamprepareheader", "the ACM uses the header and its buffers until they are unprepared");

            // XAudio2 (COM): SharpDX, Vortice and TerraFX wrappers of IXAudio2SourceVoice.
            Add("XAudio2 (SharpDX, Vortice, TerraFX)", "SubmitSourceBuffer", RetainingMatch.Binding, 0,
                "The XAUDIO2_BUFFER is copied, but the audio data it points to (pAudioData) must stay valid until OnBufferEnd or the voice is stopped or destroyed.",
                "learn.microsoft.com/windows/win32/api/xaudio2/nf-xaudio2-ixaudio2sourcevoice-submitsourcebuffer",
                "the voice plays the audio data until the buffer ends", names: new[] { "pBuffer", "bufferRef", "buffer" }, types: s_sourceVoices,
                through: KeptThrough.Descriptor);

            // libuv: the uv_buf_t array is copied, the memory it describes is kept until the callback.
            foreach (var name in new[] { "uv_write", "uv_write2" })
            {
                Add("libuv", name, RetainingMatch.EntryPoint, 2,
                    "\"The memory pointed to by the buffers must remain valid until the callback gets called\" (uv_try_write, synchronous, is not listed).",
                    "docs.libuv.org/en/v1.x/stream.html#c.uv_write", "libuv writes the buffers until the write callback runs",
                    names: new[] { "bufs" }, through: KeptThrough.Descriptor);
            }

            Add("libuv", "uv_udp_send", RetainingMatch.EntryPoint, 2,
                "The memory pointed to by the buffers must remain valid until the send callback gets called.",
                "docs.libuv.org/en/v1.x/udp.html#c.uv_udp_send", "libuv sends the buffers until the send callback runs",
                names: new[] { "bufs" }, through: KeptThrough.Descriptor);

            // SQLite: with SQLITE_STATIC the value is not copied and is read until the statement is reset, rebound or finalized.
            foreach (var name in new[] { "sqlite3_bind_blob", "sqlite3_bind_blob64", "sqlite3_bind_text", "sqlite3_bind_text16", "sqlite3_bind_text64" })
            {
                Add("SQLite", name, RetainingMatch.EntryPoint, 2,
                    "With SQLITE_STATIC SQLite \"assumes that the information is in static, unmanaged space\" and reads it until the statement is finalized or the parameter rebound; SQLITE_TRANSIENT (-1) makes a copy.",
                    "sqlite.org/c3ref/bind_blob.html",
                    "with SQLITE_STATIC, SQLite reads the value until the statement is finalized or the parameter is rebound",
                    condition: DestructorIsStatic, conditionText: "the destructor (5th argument) is SQLITE_STATIC: `0`, `null`, `default`, `IntPtr.Zero`");
            }

            // libcurl: a few options store the pointer instead of copying it.
            Add("libcurl", "curl_easy_setopt", RetainingMatch.EntryPoint, 2,
                "\"The data pointed to is NOT copied by the library\": it must be kept until the transfer finishes (CURLOPT_COPYPOSTFIELDS, 10165, copies).",
                "curl.se/libcurl/c/CURLOPT_POSTFIELDS.html", "libcurl sends the POST data from that memory during the transfer",
                condition: call => CurlOptionIs(call, CurlOptPostFields), conditionText: "the option is CURLOPT_POSTFIELDS (10015)");
            Add("libcurl", "curl_easy_setopt", RetainingMatch.EntryPoint, 2,
                "libcurl writes error messages into the buffer during later transfers: \"keep the associated buffer available until libcurl no longer needs it\".",
                "curl.se/libcurl/c/CURLOPT_ERRORBUFFER.html", "libcurl writes error messages into the buffer during later transfers",
                condition: call => CurlOptionIs(call, CurlOptErrorBuffer), conditionText: "the option is CURLOPT_ERRORBUFFER (10010)");

            // ZeroMQ.
            Add("ZeroMQ", "zmq_msg_init_data", RetainingMatch.EntryPoint, 1,
                "\"No copy of data shall be performed and ØMQ shall take ownership of the supplied buffer\" until the free callback runs.",
                "api.zeromq.org/master:zmq-msg-init-data", "ZeroMQ owns the buffer until its free callback runs", names: new[] { "data" });

            return rows.ToImmutable();
        }

        private static Dictionary<string, ImmutableArray<RetainingApi>> Index(ImmutableArray<RetainingApi> all)
        {
            var builder = new Dictionary<string, ImmutableArray<RetainingApi>.Builder>(StringComparer.Ordinal);
            foreach (var api in all)
            {
                if (api.IsPrefix)
                {
                    continue;
                }

                if (!builder.TryGetValue(api.Name, out var list))
                {
                    builder[api.Name] = list = ImmutableArray.CreateBuilder<RetainingApi>();
                }

                list.Add(api);
            }

            var index = new Dictionary<string, ImmutableArray<RetainingApi>>(StringComparer.Ordinal);
            foreach (var pair in builder)
            {
                index[pair.Key] = pair.Value.ToImmutable();
            }

            return index;
        }

        /// <summary>The catalogue as the Markdown table in docs/rules/PIN2002.md (a test compares the two).</summary>
        internal static string MarkdownTable()
        {
            var text = new StringBuilder();
            text.Append("| Library | API | Matched on | Kept parameter | Condition | Long-term (PIN4001) | Why (source) |\n");
            text.Append("|---|---|---|---|---|---|---|\n");
            foreach (var api in All)
            {
                var matched = api.Match switch
                {
                    RetainingMatch.EntryPoint => "P/Invoke entry point",
                    RetainingMatch.AnyMethod => "method name or entry point",
                    _ => "`" + string.Join("`, `", api.BindingTypes) + "`",
                };

                text.Append("| ").Append(api.Library)
                    .Append(" | `").Append(api.Name).Append(api.IsPrefix ? "*" : string.Empty).Append('`')
                    .Append(" | ").Append(matched)
                    .Append(" | ").Append(api.KeptText)
                    .Append(" | ").Append(api.ConditionText ?? "—")
                    .Append(" | ").Append(api.LongTermText ?? "no")
                    .Append(" | ").Append(api.Reason.Replace("|", "\\|")).Append(" (").Append(api.Source).Append(')')
                    .Append(" |\n");
            }

            return text.ToString();
        }
    }
}
