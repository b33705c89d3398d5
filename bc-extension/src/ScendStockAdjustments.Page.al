/// <summary>
/// API page stockAdjustments (docs/bc-extension-api.md §4): a stock adjustment from Scend, posted as item
/// journal lines at a location with a reason code.
/// </summary>
page 50113 "Scend Stock Adjustments"
{
    APIGroup = 'warehouse';
    APIPublisher = 'scendIntegration';
    APIVersion = 'v1.0';
    DelayedInsert = true;
    EntityCaption = 'Stock Adjustment';
    EntityName = 'stockAdjustment';
    EntitySetCaption = 'Stock Adjustments';
    EntitySetName = 'stockAdjustments';
    Extensible = false;
    ODataKeyFields = SystemId;
    PageType = API;
    SourceTable = "Scend Stock Adjustment";

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(id; Rec.SystemId)
                {
                    Caption = 'Id';
                    Editable = false;
                }
                field(scendAdjustmentId; Rec."Scend Adjustment Id")
                {
                    Caption = 'Scend Adjustment Id';
                }
                field(postingDate; Rec."Posting Date")
                {
                    Caption = 'Posting Date';
                }
                field(reasonCode; Rec."Reason Code")
                {
                    Caption = 'Reason Code';
                }
                field(description; Rec.Description)
                {
                    Caption = 'Description';
                }
                field(status; Rec.Status)
                {
                    Caption = 'Status';
                    Editable = false;
                }
                field(documentNumber; Rec."Document No.")
                {
                    Caption = 'Document No.';
                    Editable = false;
                }
                field(lastModifiedDateTime; Rec.SystemModifiedAt)
                {
                    Caption = 'Last Modified Date Time';
                    Editable = false;
                }
                part(stockAdjustmentLines; "Scend Stock Adjustment Lines")
                {
                    Caption = 'Lines';
                    EntityName = 'stockAdjustmentLine';
                    EntitySetName = 'stockAdjustmentLines';
                    SubPageLink = "Document Id" = field(SystemId);
                }
            }
        }
    }

    trigger OnOpenPage()
    begin
        ScendCreateGuard.Reset();
    end;

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        // Idempotent create (contract §2.1): a known Scend id answers the existing adjustment, and the
        // lines of the repeated body are ignored.
        if Rec.LoadExisting() then begin
            ScendCreateGuard.MarkRepeated(Rec.SystemId);
            exit(false);
        end;
        exit(true);
    end;

    trigger OnModifyRecord(): Boolean
    begin
        Rec.TestStatusOpen();
        Rec.TestInsertOnlyFields(xRec);
        exit(true);
    end;

    trigger OnDeleteRecord(): Boolean
    begin
        Rec.TestStatusOpen();
        exit(true);
    end;

    var
        ScendCreateGuard: Codeunit "Scend Create Guard";

    /// <summary>POST .../stockAdjustments({id})/Microsoft.NAV.post: posts the journal lines, answers the adjustment.</summary>
    [ServiceEnabled]
    procedure Post(var ActionContext: WebServiceActionContext)
    var
        ScendStockAdjustmentPost: Codeunit "Scend Stock Adjustment Post";
    begin
        ScendStockAdjustmentPost.Post(Rec);
        ActionContext.SetObjectType(ObjectType::Page);
        ActionContext.SetObjectId(Page::"Scend Stock Adjustments");
        ActionContext.AddEntityKey(Rec.FieldNo(SystemId), Rec.SystemId);
        ActionContext.SetResultCode(WebServiceActionResultCode::Get);
    end;
}
