/// <summary>
/// API page shipmentConfirmations (docs/bc-extension-api.md §3): a despatch from Scend, posted as a sales
/// shipment with package tracking no. and shipping agent, without invoicing.
/// </summary>
page 50111 "Scend Shipment Confirmations"
{
    APIGroup = 'warehouse';
    APIPublisher = 'scendIntegration';
    APIVersion = 'v1.0';
    DelayedInsert = true;
    EntityCaption = 'Shipment Confirmation';
    EntityName = 'shipmentConfirmation';
    EntitySetCaption = 'Shipment Confirmations';
    EntitySetName = 'shipmentConfirmations';
    Extensible = false;
    ODataKeyFields = SystemId;
    PageType = API;
    SourceTable = "Scend Shipment Confirmation";

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
                field(scendShipmentId; Rec."Scend Shipment Id")
                {
                    Caption = 'Scend Shipment Id';
                }
                field(salesOrderId; Rec."Sales Order Id")
                {
                    Caption = 'Sales Order Id';
                }
                field(salesOrderNumber; Rec."Sales Order No.")
                {
                    Caption = 'Sales Order No.';
                    Editable = false;
                }
                field(shipmentDate; Rec."Shipment Date")
                {
                    Caption = 'Shipment Date';
                }
                field(packageTrackingNumber; Rec."Package Tracking No.")
                {
                    Caption = 'Package Tracking No.';
                }
                field(shippingAgentCode; Rec."Shipping Agent Code")
                {
                    Caption = 'Shipping Agent Code';
                }
                field(shippingAgentServiceCode; Rec."Shipping Agent Service Code")
                {
                    Caption = 'Shipping Agent Service Code';
                }
                field(status; Rec.Status)
                {
                    Caption = 'Status';
                    Editable = false;
                }
                field(salesShipmentId; Rec."Sales Shipment Id")
                {
                    Caption = 'Sales Shipment Id';
                    Editable = false;
                }
                field(salesShipmentNumber; Rec."Sales Shipment No.")
                {
                    Caption = 'Sales Shipment No.';
                    Editable = false;
                }
                field(lastModifiedDateTime; Rec.SystemModifiedAt)
                {
                    Caption = 'Last Modified Date Time';
                    Editable = false;
                }
                part(shipmentConfirmationLines; "Scend Shipment Conf. Lines")
                {
                    Caption = 'Lines';
                    EntityName = 'shipmentConfirmationLine';
                    EntitySetName = 'shipmentConfirmationLines';
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
        // Idempotent create (contract §2.1): a known Scend id answers the existing confirmation, and the
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

    /// <summary>POST .../shipmentConfirmations({id})/Microsoft.NAV.post: ships the order, answers the confirmation.</summary>
    [ServiceEnabled]
    procedure Post(var ActionContext: WebServiceActionContext)
    var
        ScendShipmentPost: Codeunit "Scend Shipment Post";
    begin
        ScendShipmentPost.Post(Rec);
        ActionContext.SetObjectType(ObjectType::Page);
        ActionContext.SetObjectId(Page::"Scend Shipment Confirmations");
        ActionContext.AddEntityKey(Rec.FieldNo(SystemId), Rec.SystemId);
        ActionContext.SetResultCode(WebServiceActionResultCode::Get);
    end;
}
