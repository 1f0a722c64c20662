using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// The mapped-view facts of one compilation (DESIGN.md, "Mapped views", "DAX paths"): the view pin sites, and where a
    /// view's address comes from — a <c>MemoryMappedFile</c> over a DAX path, directly or through a <c>FileStream</c> /
    /// <c>SafeFileHandle</c>, or a libpmem mapping — followed back through locals and through fields of the same type.
    /// </summary>
    /// <remarks>
    /// The backward walk reads the writes of a local (its function) or a field (its type's declarations in the same
    /// syntax tree); a write it cannot judge (a ref or out argument to an unknown call, another file) makes the origin
    /// unknown, and unknown is never DAX. Every write must be DAX for the value to be.
    /// </remarks>
    internal sealed class MappedViewSites
    {
        private const int MaxDepth = 12;

        /// <summary>A write that sets no address (<c>byte* p = null</c>): it neither makes nor spoils an origin.</summary>
        private const string Nothing = "\0";

        private readonly PinApis _apis;
        private readonly ConcurrentDictionary<IFieldSymbol, bool> _mappedFields = new(SymbolEqualityComparer.Default);

        private MappedViewSites(PinApis apis, INamedTypeSymbol? memoryMappedFile, INamedTypeSymbol? viewHandle, bool pmem)
        {
            _apis = apis;
            MemoryMappedFile = memoryMappedFile;
            ViewHandle = viewHandle;
            HasPmem = pmem;
            var compilation = apis.Compilation;
            ViewAccessor = compilation.GetTypeByMetadataName("System.IO.MemoryMappedFiles.MemoryMappedViewAccessor");
            ViewStream = compilation.GetTypeByMetadataName("System.IO.MemoryMappedFiles.MemoryMappedViewStream");
            FileStream = compilation.GetTypeByMetadataName("System.IO.FileStream");
            SafeFileHandle = compilation.GetTypeByMetadataName("Microsoft.Win32.SafeHandles.SafeFileHandle");
            File = compilation.GetTypeByMetadataName("System.IO.File");
            Path = compilation.GetTypeByMetadataName("System.IO.Path");
        }

        internal INamedTypeSymbol? MemoryMappedFile { get; }

        internal INamedTypeSymbol? ViewHandle { get; }

        internal INamedTypeSymbol? ViewAccessor { get; }

        internal INamedTypeSymbol? ViewStream { get; }

        private INamedTypeSymbol? FileStream { get; }

        private INamedTypeSymbol? SafeFileHandle { get; }

        private INamedTypeSymbol? File { get; }

        private INamedTypeSymbol? Path { get; }

        /// <summary>True when the compilation declares a libpmem mapping function by that name.</summary>
        private bool HasPmem { get; }

        /// <summary>
        /// The facts, or null when the compilation can make no mapped-view pin: no <c>SafeMemoryMappedViewHandle</c> and no
        /// method named <c>pmem_map_file</c> / <c>pmem2_map_get_address</c> (the declaration table answers that cheaply).
        /// </summary>
        internal static MappedViewSites? Create(PinApis apis)
        {
            var compilation = apis.Compilation;
            var memoryMappedFile = compilation.GetTypeByMetadataName("System.IO.MemoryMappedFiles.MemoryMappedFile");
            var viewHandle = apis.SafeMemoryMappedViewHandle;
            var pmem = compilation.ContainsSymbolsWithName(name => name is "pmem_map_file" or "pmem2_map_get_address", SymbolFilter.Member);
            if ((memoryMappedFile is null || viewHandle is null) && !pmem)
            {
                return null;
            }

            return new MappedViewSites(apis, memoryMappedFile, viewHandle, pmem);
        }

        /// <summary>
        /// The cheap filter: <c>AcquirePointer</c> and <c>DangerousGetHandle</c> on a view handle, a libpmem mapping call,
        /// and a read of a pointer field of this type whose every write is a mapped view's address.
        /// </summary>
        internal PinSite? Find(IOperation operation)
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    {
                        var method = invocation.TargetMethod;
                        if (method.Name is "AcquirePointer" or "DangerousGetHandle" && ViewHandle is not null
                            && SymbolEqualityComparer.Default.Equals(invocation.Instance?.Type, ViewHandle))
                        {
                            return method.Name == "AcquirePointer"
                                ? (invocation.Arguments.Length == 1 ? new PinSite(invocation, PinKind.ViewPointer, invocation.Instance) : null)
                                : new PinSite(invocation, PinKind.MappedAddress, invocation.Instance);
                        }

                        return HasPmem && IsPmemMapping(method) ? new PinSite(invocation, PinKind.MappedAddress, null) : null;
                    }

                case IFieldReferenceOperation field when IsAddressType(field.Type) && !IsWrite(field) && field.Instance is null or IInstanceReferenceOperation:
                    return _mappedFields.GetOrAdd(field.Field, f => FieldHoldsView(f, field.SemanticModel, CancellationToken.None))
                        ? new PinSite(field, PinKind.MappedAddress, field)
                        : null;

                default:
                    return null;
            }
        }

        /// <summary>The locals and fields that stand for the handle of <c>AcquirePointer</c>: the handle's holder and its view's.</summary>
        internal static IEnumerable<ISymbol> HandleHolders(IOperation? handle)
        {
            var current = handle.WalkDownConversions();
            for (var depth = 0; depth < 3 && current is not null; depth++)
            {
                switch (current)
                {
                    case IPropertyReferenceOperation { Property.Name: "SafeMemoryMappedViewHandle" } property:
                        current = property.Instance.WalkDownConversions();
                        continue;
                    case ILocalReferenceOperation local:
                        yield return local.Local;
                        current = SingleInitializer(local.Local, local.SemanticModel);
                        continue;
                    case IParameterReferenceOperation parameter:
                        yield return parameter.Parameter;
                        yield break;
                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                        yield return field.Field;
                        yield break;
                    default:
                        yield break;
                }
            }
        }

        /// <summary>True when the view (or its handle) of <c>AcquirePointer</c> is held in a field: the type's lifetime owns it.</summary>
        internal static bool HeldInField(IOperation? handle)
        {
            foreach (var holder in HandleHolders(handle))
            {
                if (holder is IFieldSymbol)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// For a mapped address (the site's pointer or address), a phrase naming the DAX mapping it points into —
        /// "'/mnt/pmem0/log'", "a libpmem mapping ('pmem_map_file')" — or null when it is not provably one.
        /// </summary>
        internal string? DaxMapping(PinSite site, DaxPaths paths, CancellationToken cancellationToken)
        {
            var walk = new Walk(this, paths, cancellationToken);
            var origin = site.Kind == PinKind.ViewPointer
                ? walk.OfHandle(site.Target, 0)
                : walk.OfPointer(site.Operation, 0);
            return origin is null or Nothing ? null : origin;
        }

        /// <summary>
        /// The offset a view is created at, as source text, when every creation of the view behind <paramref name="handle"/>
        /// has an offset that is not the constant 0; null when an offset is 0, or the creation is unknown.
        /// </summary>
        internal string? NonZeroOffset(IOperation? handle, CancellationToken cancellationToken)
        {
            var walk = new Walk(this, DaxPaths.Default, cancellationToken);
            var creations = new List<IInvocationOperation>();
            if (!walk.ViewCreations(handle, creations, 0) || creations.Count == 0)
            {
                return null;
            }

            string? offset = null;
            foreach (var creation in creations)
            {
                IArgumentOperation? argument = null;
                foreach (var candidate in creation.Arguments)
                {
                    if (candidate.Parameter?.Name == "offset")
                    {
                        argument = candidate;
                    }
                }

                if (argument is null || argument.IsImplicit || argument.Value.ConstantValue is { HasValue: true, Value: 0L or 0 })
                {
                    return null;
                }

                offset ??= argument.Value.Syntax.ToString();
            }

            return offset;
        }

        /// <summary>The view expression of <c>view.SafeMemoryMappedViewHandle</c> (for naming it), or null.</summary>
        internal static IOperation? ViewOf(IOperation? handle)
            => handle.WalkDownConversions() is IPropertyReferenceOperation { Property.Name: "SafeMemoryMappedViewHandle", Instance: { } view } ? view : null;

        /// <summary>
        /// A P/Invoke whose entry point (the <c>DllImport</c>/<c>LibraryImport</c> <c>EntryPoint</c>, else the method's name) is
        /// <c>pmem_map_file</c> or <c>pmem2_map_get_address</c>: persistent memory whatever the path.
        /// </summary>
        internal static bool IsPmemMapping(IMethodSymbol method)
        {
            if (!method.IsStatic || !IsAddressType(method.ReturnType))
            {
                return false;
            }

            string? entryPoint = null;
            var native = false;
            if (method.GetDllImportData() is { } dllImport)
            {
                native = true;
                entryPoint = dllImport.EntryPointName;
            }
            else
            {
                foreach (var attribute in method.GetAttributes())
                {
                    if (attribute.AttributeClass?.Name is "LibraryImportAttribute" or "DllImportAttribute")
                    {
                        native = true;
                        foreach (var named in attribute.NamedArguments)
                        {
                            if (named.Key == "EntryPoint" && named.Value.Value is string name)
                            {
                                entryPoint = name;
                            }
                        }
                    }
                }
            }

            if (!native && !method.IsExtern)
            {
                return false;
            }

            return (entryPoint ?? method.Name) is "pmem_map_file" or "pmem2_map_get_address";
        }

        internal static bool IsAddressType(ITypeSymbol? type)
            => type is IPointerTypeSymbol || type?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;

        private static bool IsWrite(IOperation reference)
            => reference.Parent switch
            {
                IAssignmentOperation assignment => ReferenceEquals(assignment.Target, reference),
                IArgumentOperation { Parameter.RefKind: RefKind.Out } => true,
                IIncrementOrDecrementOperation => true,
                _ => false,
            };

        /// <summary>A pointer field every write of which is a mapped view's or libpmem mapping's address.</summary>
        private bool FieldHoldsView(IFieldSymbol field, SemanticModel? model, CancellationToken cancellationToken)
        {
            if (model is null || field.DeclaringSyntaxReferences.IsEmpty)
            {
                return false;
            }

            // Only the shape, not the path: cheap, and the path is judged per site under that tree's options.
            var walk = new Walk(this, paths: null, cancellationToken);
            var origin = walk.OfWrites(field, model, value => walk.OfPointer(value, 1), 0);
            return origin is not null and not Nothing;
        }

        private static IOperation? SingleInitializer(ILocalSymbol local, SemanticModel? model)
        {
            if (model is null || local.DeclaringSyntaxReferences.Length != 1)
            {
                return null;
            }

            return local.DeclaringSyntaxReferences[0].GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } value } && value.SyntaxTree == model.SyntaxTree
                ? model.GetOperation(value).WalkDownConversions()
                : null;
        }

        /// <summary>One backward walk from an address to the mapping it points into.</summary>
        private sealed class Walk
        {
            private readonly MappedViewSites _owner;
            private readonly DaxPaths? _paths;
            private readonly CancellationToken _cancellationToken;
            private readonly HashSet<ISymbol> _visiting = new(SymbolEqualityComparer.Default);

            /// <param name="paths">Null to accept any file path (the shape only).</param>
            internal Walk(MappedViewSites owner, DaxPaths? paths, CancellationToken cancellationToken)
            {
                _owner = owner;
                _paths = paths;
                _cancellationToken = cancellationToken;
            }

            internal string? OfPointer(IOperation? value, int depth)
            {
                value = value.WalkDownConversions();
                if (value is null || depth > MaxDepth)
                {
                    return null;
                }

                switch (value)
                {
                    case { ConstantValue: { HasValue: true } constant } when constant.Value is null or 0 or 0L:
                        return Nothing;
                    case IDefaultValueOperation:
                        return Nothing;
                    case IFieldReferenceOperation { Field.Name: "Zero", Field.IsStatic: true }:
                        return Nothing;
                    case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract } binary:
                        return IsAddressType(binary.LeftOperand.WalkDownConversions()?.Type) || IsAddressType(binary.LeftOperand.Type)
                            ? OfPointer(binary.LeftOperand, depth + 1)
                            : OfPointer(binary.RightOperand, depth + 1);
                    case IInvocationOperation invocation:
                        {
                            var method = invocation.TargetMethod;
                            if (method.Name is "AcquirePointer" or "DangerousGetHandle" && IsViewHandle(invocation.Instance?.Type))
                            {
                                return OfHandle(invocation.Instance, depth + 1);
                            }

                            if (IsPmemMapping(method))
                            {
                                return $"a libpmem mapping ('{EntryPointOf(method)}')";
                            }

                            if (method.ContainingType?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr && invocation.Arguments.Length > 0)
                            {
                                // IntPtr.Add(p, n) and the operators.
                                return OfPointer(invocation.Arguments[0].Value, depth + 1);
                            }

                            return null;
                        }

                    case IObjectCreationOperation { Arguments.Length: 1 } creation when IsAddressType(creation.Type):
                        return OfPointer(creation.Arguments[0].Value, depth + 1);
                    case ILocalReferenceOperation local:
                        return OfWrites(local.Local, local.SemanticModel, v => OfPointer(v, depth + 1), depth);
                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                        return OfWrites(field.Field, field.SemanticModel, v => OfPointer(v, depth + 1), depth);
                    default:
                        return null;
                }
            }

            internal string? OfHandle(IOperation? handle, int depth)
            {
                handle = handle.WalkDownConversions();
                if (handle is null || depth > MaxDepth)
                {
                    return null;
                }

                switch (handle)
                {
                    case IPropertyReferenceOperation { Property.Name: "SafeMemoryMappedViewHandle", Instance: { } view }:
                        return OfView(view, depth + 1);
                    case ILocalReferenceOperation local:
                        return OfWrites(local.Local, local.SemanticModel, v => OfHandle(v, depth + 1), depth);
                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                        return OfWrites(field.Field, field.SemanticModel, v => OfHandle(v, depth + 1), depth);
                    default:
                        return null;
                }
            }

            private string? OfView(IOperation? view, int depth)
            {
                view = view.WalkDownConversions();
                if (view is null || depth > MaxDepth)
                {
                    return null;
                }

                switch (view)
                {
                    case IInvocationOperation { TargetMethod.Name: "CreateViewAccessor" or "CreateViewStream", Instance: { } file } when IsMemoryMappedFile(file.Type):
                        return OfFile(file, depth + 1);
                    case ILocalReferenceOperation local:
                        return OfWrites(local.Local, local.SemanticModel, v => OfView(v, depth + 1), depth);
                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                        return OfWrites(field.Field, field.SemanticModel, v => OfView(v, depth + 1), depth);
                    default:
                        return null;
                }
            }

            private string? OfFile(IOperation? file, int depth)
            {
                file = file.WalkDownConversions();
                if (file is null || depth > MaxDepth)
                {
                    return null;
                }

                switch (file)
                {
                    case IInvocationOperation { TargetMethod.Name: "CreateFromFile", TargetMethod.IsStatic: true, Arguments.Length: > 0 } create when IsMemoryMappedFile(create.TargetMethod.ContainingType):
                        return OfSource(ArgumentAt(create, 0), depth + 1);
                    case ILocalReferenceOperation local:
                        return OfWrites(local.Local, local.SemanticModel, v => OfFile(v, depth + 1), depth);
                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                        return OfWrites(field.Field, field.SemanticModel, v => OfFile(v, depth + 1), depth);
                    default:
                        return null;
                }
            }

            /// <summary>The file a mapping is created from: a path, a <c>FileStream</c> or a <c>SafeFileHandle</c>.</summary>
            private string? OfSource(IOperation? source, int depth)
            {
                source = source.WalkDownConversions();
                if (source is null || depth > MaxDepth)
                {
                    return null;
                }

                if (source.Type?.SpecialType == SpecialType.System_String)
                {
                    return OfPath(source, depth + 1);
                }

                switch (source)
                {
                    case IObjectCreationOperation { Arguments.Length: > 0 } creation when Is(creation.Type, _owner.FileStream):
                        return OfSource(creation.Arguments[0].Value, depth + 1);
                    case IInvocationOperation { TargetMethod.IsStatic: true, TargetMethod.Name: "Open" or "OpenRead" or "OpenWrite" or "Create" or "OpenHandle", Arguments.Length: > 0 } open
                        when Is(open.TargetMethod.ContainingType, _owner.File):
                        return OfSource(ArgumentAt(open, 0), depth + 1);
                    case ILocalReferenceOperation local:
                        return OfWrites(local.Local, local.SemanticModel, v => OfSource(v, depth + 1), depth);
                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field when !field.Field.IsConst:
                        return OfWrites(field.Field, field.SemanticModel, v => OfSource(v, depth + 1), depth);
                    default:
                        return null;
                }
            }

            private string? OfPath(IOperation path, int depth)
            {
                if (Text(path, depth) is not { } text)
                {
                    return null;
                }

                if (_paths is null)
                {
                    return "'" + text.Value + "'";
                }

                return _paths.Matches(text.Value, text.Complete) ? (text.Complete ? $"'{text.Value}'" : $"'{text.Value}…'") : null;
            }

            /// <summary>
            /// The known text of a path: complete (a constant), or a constant prefix (an interpolation or concatenation that
            /// starts with one, <c>Path.Combine</c>/<c>Path.Join</c> of such a path and more).
            /// </summary>
            private (string Value, bool Complete)? Text(IOperation? value, int depth)
            {
                value = value.WalkDownConversions();
                if (value is null || depth > MaxDepth)
                {
                    return null;
                }

                if (value.ConstantValue is { HasValue: true, Value: string constant })
                {
                    return (constant, true);
                }

                switch (value)
                {
                    case IInterpolatedStringOperation interpolated:
                        {
                            var prefix = new System.Text.StringBuilder();
                            foreach (var part in interpolated.Parts)
                            {
                                switch (part)
                                {
                                    case IInterpolatedStringTextOperation { Text.ConstantValue: { HasValue: true, Value: string text } }:
                                        prefix.Append(text);
                                        continue;
                                    case IInterpolationOperation { Alignment: null, FormatString: null, Expression: var expression } when Text(expression, depth + 1) is { } inner:
                                        prefix.Append(inner.Value);
                                        if (inner.Complete)
                                        {
                                            continue;
                                        }

                                        break;
                                }

                                return prefix.Length == 0 ? null : (prefix.ToString(), false);
                            }

                            return (prefix.ToString(), true);
                        }

                    case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } concatenation:
                        {
                            if (Text(concatenation.LeftOperand, depth + 1) is not { } left)
                            {
                                return null;
                            }

                            if (!left.Complete)
                            {
                                return left;
                            }

                            return Text(concatenation.RightOperand, depth + 1) is { } right
                                ? (left.Value + right.Value, right.Complete)
                                : (left.Value, false);
                        }

                    case IInvocationOperation { TargetMethod.IsStatic: true, TargetMethod.Name: "Combine" or "Join" } combine when Is(combine.TargetMethod.ContainingType, _owner.Path):
                        {
                            var first = FirstPathArgument(combine);
                            if (Text(first, depth + 1) is not { } head)
                            {
                                return null;
                            }

                            // Whatever follows lives under the first path: "/mnt/pmem0" + "/" + anything.
                            return head.Complete ? (head.Value.TrimEnd('/', '\\') + "/", false) : head;
                        }

                    case ILocalReferenceOperation local:
                        return SingleText(local.Local, local.SemanticModel, depth);
                    case IFieldReferenceOperation { Field: { IsStatic: true, IsReadOnly: true } field } reference:
                        return SingleText(field, reference.SemanticModel, depth);
                    default:
                        return null;
                }
            }

            private (string Value, bool Complete)? SingleText(ISymbol symbol, SemanticModel? model, int depth)
            {
                (string Value, bool Complete)? found = null;
                var count = 0;
                var known = Writes(symbol, model, value =>
                {
                    count++;
                    found = Text(value, depth + 1);
                });
                return known && count == 1 ? found : null;
            }

            private static IOperation? FirstPathArgument(IInvocationOperation combine)
            {
                if (combine.Arguments.Length == 0)
                {
                    return null;
                }

                var first = combine.Arguments[0].Value;
                if (first is IArrayCreationOperation { Initializer.ElementValues: { Length: > 0 } elements })
                {
                    // params string[]: Path.Combine(a, b, c, d, e).
                    return elements[0];
                }

                return first;
            }

            /// <summary>The creations (<c>CreateViewAccessor</c>/<c>CreateViewStream</c>) of the view behind a handle; false when one is unknown.</summary>
            internal bool ViewCreations(IOperation? value, List<IInvocationOperation> creations, int depth)
            {
                value = value.WalkDownConversions();
                if (value is null || depth > MaxDepth)
                {
                    return false;
                }

                switch (value)
                {
                    case IPropertyReferenceOperation { Property.Name: "SafeMemoryMappedViewHandle", Instance: { } view }:
                        return ViewCreations(view, creations, depth + 1);
                    case IInvocationOperation { TargetMethod.Name: "CreateViewAccessor" or "CreateViewStream", Instance: { } file } creation when IsMemoryMappedFile(file.Type):
                        creations.Add(creation);
                        return true;
                    case ILocalReferenceOperation or IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation }:
                        {
                            var symbol = value is ILocalReferenceOperation local ? (ISymbol)local.Local : ((IFieldReferenceOperation)value).Field;
                            if (!_visiting.Add(symbol))
                            {
                                return false;
                            }

                            var all = true;
                            var known = Writes(symbol, value.SemanticModel, write =>
                            {
                                if (write.WalkDownConversions() is not { ConstantValue: { HasValue: true, Value: null } })
                                {
                                    all &= ViewCreations(write, creations, depth + 1);
                                }
                            });
                            _visiting.Remove(symbol);
                            return known && all;
                        }

                    default:
                        return false;
                }
            }

            /// <summary>The origin shared by every write of <paramref name="symbol"/>, or null.</summary>
            internal string? OfWrites(ISymbol symbol, SemanticModel? model, Func<IOperation, string?> origin, int depth)
            {
                if (depth > MaxDepth || !_visiting.Add(symbol))
                {
                    return null;
                }

                string? found = Nothing;
                var known = Writes(symbol, model, value =>
                {
                    if (found is null)
                    {
                        return;
                    }

                    var one = origin(value);
                    if (one is null)
                    {
                        found = null;
                    }
                    else if (one != Nothing && found == Nothing)
                    {
                        found = one;
                    }
                });
                _visiting.Remove(symbol);
                return known ? found : null;
            }

            /// <summary>
            /// Calls <paramref name="onValue"/> with every value written to a local (in its member) or a field (in its type,
            /// same syntax tree); for <c>AcquirePointer(ref p)</c> the value is the call. False when a write cannot be judged.
            /// </summary>
            private bool Writes(ISymbol symbol, SemanticModel? model, Action<IOperation> onValue)
            {
                if (model is null || symbol is IParameterSymbol)
                {
                    return false;
                }

                var scopes = new List<SyntaxNode>();
                if (symbol is ILocalSymbol local)
                {
                    if (local.DeclaringSyntaxReferences.Length != 1)
                    {
                        return false;
                    }

                    var declaration = local.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken);
                    if (declaration.SyntaxTree != model.SyntaxTree)
                    {
                        return false;
                    }

                    SyntaxNode? scope = null;
                    foreach (var ancestor in declaration.Ancestors())
                    {
                        if (ancestor is GlobalStatementSyntax)
                        {
                            scope = ancestor.Parent;
                            break;
                        }

                        if (ancestor is MemberDeclarationSyntax)
                        {
                            scope = ancestor;
                            break;
                        }
                    }

                    if (scope is null)
                    {
                        return false;
                    }

                    scopes.Add(scope);
                }
                else if (symbol is IFieldSymbol field && field.ContainingType is { } type)
                {
                    foreach (var reference in type.DeclaringSyntaxReferences)
                    {
                        if (reference.SyntaxTree != model.SyntaxTree)
                        {
                            return false;
                        }

                        scopes.Add(reference.GetSyntax(_cancellationToken));
                    }
                }
                else
                {
                    return false;
                }

                var name = symbol.Name;
                foreach (var scope in scopes)
                {
                    foreach (var node in scope.DescendantNodes())
                    {
                        _cancellationToken.ThrowIfCancellationRequested();
                        switch (node)
                        {
                            case VariableDeclaratorSyntax declarator when declarator.Identifier.ValueText == name:
                                if (SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(declarator, _cancellationToken), symbol)
                                    && declarator.Initializer?.Value is { } initializer)
                                {
                                    if (model.GetOperation(initializer, _cancellationToken) is not { } value)
                                    {
                                        return false;
                                    }

                                    onValue(value);
                                }

                                break;

                            case SingleVariableDesignationSyntax designation when designation.Identifier.ValueText == name:
                                if (SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(designation, _cancellationToken), symbol))
                                {
                                    // out var x, a pattern: written by something this walk does not follow.
                                    return false;
                                }

                                break;

                            case IdentifierNameSyntax identifier when identifier.Identifier.ValueText == name:
                                if (!WriteOf(identifier, symbol, model, onValue))
                                {
                                    return false;
                                }

                                break;
                        }
                    }
                }

                return true;
            }

            /// <summary>Reports the value when <paramref name="identifier"/> writes the symbol; false for a write it cannot judge.</summary>
            private bool WriteOf(IdentifierNameSyntax identifier, ISymbol symbol, SemanticModel model, Action<IOperation> onValue)
            {
                ExpressionSyntax expression = identifier;
                if (identifier.Parent is MemberAccessExpressionSyntax access && access.Name == identifier)
                {
                    expression = access;
                }

                switch (expression.Parent)
                {
                    case AssignmentExpressionSyntax assignment when assignment.Left == expression:
                        if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, _cancellationToken).Symbol, symbol))
                        {
                            return true;
                        }

                        if (assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) || assignment.IsKind(SyntaxKind.CoalesceAssignmentExpression))
                        {
                            if (model.GetOperation(assignment.Right, _cancellationToken) is not { } value)
                            {
                                return false;
                            }

                            onValue(value);
                            return true;
                        }

                        // p += n keeps the address in the same mapping.
                        return assignment.IsKind(SyntaxKind.AddAssignmentExpression) || assignment.IsKind(SyntaxKind.SubtractAssignmentExpression);

                    case ArgumentSyntax { RefKindKeyword.RawKind: not (int)SyntaxKind.None } argument when argument.Expression == expression:
                        if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, _cancellationToken).Symbol, symbol))
                        {
                            return true;
                        }

                        if (argument.RefKindKeyword.IsKind(SyntaxKind.InKeyword))
                        {
                            return true;
                        }

                        if (argument.Parent?.Parent is InvocationExpressionSyntax call
                            && model.GetOperation(call, _cancellationToken) is IInvocationOperation { TargetMethod.Name: "AcquirePointer" } acquire
                            && IsViewHandle(acquire.Instance?.Type))
                        {
                            onValue(acquire);
                            return true;
                        }

                        return false;

                    case RefExpressionSyntax:
                        return !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, _cancellationToken).Symbol, symbol);

                    default:
                        return true;
                }
            }

            private bool IsViewHandle(ITypeSymbol? type) => Is(type, _owner.ViewHandle);

            private bool IsMemoryMappedFile(ITypeSymbol? type) => Is(type, _owner.MemoryMappedFile);

            private static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected)
                => type is not null && expected is not null && SymbolEqualityComparer.Default.Equals(type, expected);

            private static IOperation? ArgumentAt(IInvocationOperation invocation, int ordinal)
            {
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter?.Ordinal == ordinal)
                    {
                        return argument.Value;
                    }
                }

                return null;
            }

            private static string EntryPointOf(IMethodSymbol method)
                => method.GetDllImportData()?.EntryPointName ?? method.Name;
        }
    }
}
